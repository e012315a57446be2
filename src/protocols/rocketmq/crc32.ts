/**
 * @module protocols/rocketmq/crc32
 * CRC-32 (IEEE 802.3, zlib's and `java.util.zip.CRC32`'s) and RocketMQ's `UtilAll.crc32`, which
 * masks it to 31 bits (`& 0x7FFFFFFF`) so it fits a positive Java int — the value REGISTER_BROKER
 * carries in `bodyCrc32`. zlib's own (node:zlib `crc32`, Node ≥ 20.15) when there is one — ~10×
 * the table loop on a 2 MB body — else the table; no allocation per call either way.
 */
import * as zlib from "node:zlib";

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** Plain CRC-32 of `b`, unsigned; pass a previous result as `crc` to continue over another chunk. */
export function crc32(b: Uint8Array, crc = 0): number {
  return native !== undefined ? native(b, crc) : crc32Table(b, crc);
}

/** The table-driven CRC-32 (the fallback; also what the tests hold zlib's against). */
export function crc32Table(b: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < b.length; i++) c = TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** `UtilAll.crc32(byte[])`: the CRC-32 with its top bit cleared. */
export function rocketmqCrc32(b: Uint8Array): number {
  return crc32(b) & 0x7fffffff;
}
