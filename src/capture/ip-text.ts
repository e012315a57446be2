/**
 * @module capture/ip-text
 * One spelling for an address, wherever it comes from: a packet (capture/decode), a sock_diag
 * reply (kernel/netlink), a user's `--host`. IPv4 dotted quad; IPv6 as inet_ntop writes it
 * (RFC 5952: lower-case hex, leading zeros dropped, the first longest run of ≥ 2 zero groups as
 * "::"), and — as glibc's and libuv's inet_ntop do, so as `ss` and Node print it — IPv4-mapped
 * (`::ffff:10.1.2.3`) and IPv4-compatible (`::10.1.2.3`) addresses with their last 32 bits dotted.
 * Two spellings of one address made `analyze --host ::ffff:10.1.2.3` miss a capture that decode
 * printed as `::ffff:a01:203`.
 *
 * Here, in capture/ (the lowest layer), so kernel/ and tcp/ both import it (test/architecture).
 * Allocates the string only: for output and filters, not the per-packet loop.
 */

const words = new Uint16Array(8);

export function ipv4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** The 16 bytes at `off` of `b` (bytes, or a DataView such as a netlink reply) as text. */
export function ipv6Text(b: Uint8Array | DataView, off = 0): string {
  if (b instanceof DataView) for (let i = 0; i < 8; i++) words[i] = b.getUint16(off + 2 * i, false);
  else for (let i = 0; i < 8; i++) words[i] = (b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!;
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  // inet_ntop's test: the zero run is groups 0–5 (IPv4-compatible), or 0–4 followed by ffff (mapped).
  if (bestAt === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
    const v4 = `${words[6]! >> 8}.${words[6]! & 255}.${words[7]! >> 8}.${words[7]! & 255}`;
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  let s = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestAt) {
      s += "::";
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(":")) s += ":";
    s += words[i]!.toString(16);
  }
  return s;
}

/** Bytes of an IPv4 (4) or IPv6 (16) literal, embedded IPv4 tails included; undefined when neither. */
export function parseIp(text: string): number[] | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    return parts.every((p) => p <= 255) ? parts : undefined;
  }
  if (!text.includes(":") || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    // Embedded IPv4 (::ffff:1.2.3.4): rewrite as two hex groups.
    const b = parseIp(tail);
    if (!b || b.length !== 4) return undefined;
    head = text.slice(0, lastColon + 1) + ((b[0]! << 8) | b[1]!).toString(16) + ":" + ((b[2]! << 8) | b[3]!).toString(16);
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const left = halves[0] ? halves[0].split(":") : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = halves.length === 2 ? 8 - left.length - right.length : 0;
  if (fill < 0 || (halves.length === 1 && left.length !== 8)) return undefined;
  const groups = [...left, ...Array<string>(fill).fill("0"), ...right];
  const out: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    out.push(v >> 8, v & 0xff);
  }
  return out;
}

/** The one spelling of an address literal (`::FFFF:0A01:0203` → `::ffff:10.1.2.3`); undefined when invalid. */
export function canonicalIp(text: string): string | undefined {
  const b = parseIp(text);
  if (!b) return undefined;
  if (b.length === 4) return b.join(".");
  return ipv6Text(new Uint8Array(b));
}
