/**
 * @module tcp/seq
 * Wrap-aware 32-bit sequence arithmetic, exactly as Wireshark's packet-tcp.c macros
 * (LT_SEQ/GE_SEQ/GT_SEQ/LE_SEQ compare through a signed 32-bit difference). Every sequence
 * comparison in tcp/ goes through here so nobody compares raw integers by accident.
 * Inputs are uint32 values held in JS numbers; outputs of `seqAdd`/`seqSub` are uint32 again.
 */

/** Signed 32-bit difference a − b. */
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
/** a < b in sequence space (Wireshark LT_SEQ). */
export const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
/** a > b (GT_SEQ). */
export const seqGt = (a: number, b: number): boolean => ((b - a) | 0) < 0;
/** a ≤ b (LE_SEQ = GE_SEQ(b, a): (int32)(b − a) ≥ 0 is how Wireshark writes it). */
export const seqLe = (a: number, b: number): boolean => ((b - a) | 0) >= 0;
/** a ≥ b (GE_SEQ). */
export const seqGe = (a: number, b: number): boolean => ((a - b) | 0) >= 0;
/** (a + b) mod 2^32. */
export const seqAdd = (a: number, b: number): number => (a + b) >>> 0;
/** (a − b) mod 2^32, i.e. C's guint32 subtraction. */
export const seqSub = (a: number, b: number): number => (a - b) >>> 0;
