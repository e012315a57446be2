/**
 * Cut and forge netlink replies from recorded ones (tests only).
 */
import { INET_DIAG } from "../../../src/kernel/netlink.js";

/** Messages of a reply as separate byte arrays. */
export function messages(b: Uint8Array): Uint8Array[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Uint8Array[] = [];
  for (let o = 0; o + 16 <= b.length; ) {
    const len = dv.getUint32(o, true);
    out.push(b.slice(o, o + len));
    o += (len + 3) & ~3;
  }
  return out;
}

/** Rebuild a SOCK_DIAG_BY_FAMILY message with its INFO attribute cut to `n` bytes. */
export function withInfoLength(msg: Uint8Array, n: number): Uint8Array {
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  if (dv.getUint16(4, true) !== 20) return msg;
  const parts: Uint8Array[] = [msg.slice(0, 16 + 72)];
  for (let a = 16 + 72; a + 4 <= msg.length; ) {
    const alen = dv.getUint16(a, true);
    const type = dv.getUint16(a + 2, true);
    if (type === INET_DIAG.INFO) {
      const attr = new Uint8Array((4 + n + 3) & ~3);
      attr.set(msg.subarray(a + 4, a + 4 + n), 4);
      new DataView(attr.buffer).setUint16(0, 4 + n, true);
      new DataView(attr.buffer).setUint16(2, type, true);
      parts.push(attr);
    } else parts.push(msg.slice(a, a + ((alen + 3) & ~3)));
    a += (alen + 3) & ~3;
  }
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  new DataView(out.buffer).setUint32(0, total, true);
  return out;
}

export const concat = (xs: Uint8Array[]) => {
  const out = new Uint8Array(xs.reduce((s, x) => s + ((x.length + 3) & ~3), 0));
  let o = 0;
  for (const x of xs) {
    out.set(x, o);
    o += (x.length + 3) & ~3;
  }
  return out;
};

