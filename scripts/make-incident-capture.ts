/**
 * Makes assets/rocketmq-incident.pcap, the capture `npm start` analyses: one `tcpwin lab incident`
 * run (root), of which it keeps the failing registration's connection and the start of the next
 * period's one (its SYN and first segments: the reconnect), and drops the fixed run.
 *
 * To stay small (a few hundred KB instead of 3 MB) every data packet keeps only its IP and TCP
 * headers — as a capture with a short snaplen would — except the first two data packets of each
 * direction, which keep their payload: they carry the RocketMQ frame's header (code, opaque,
 * version, the body's length). Lengths on the wire (IP total length, pcap orig_len) are kept, so
 * sequence analysis is unchanged, and the decoder reads the rest of the 2 MB body as a gap inside
 * a frame of known length.
 *
 *   sudo node --import tsx scripts/make-incident-capture.ts [assets/rocketmq-incident.pcap]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const out = process.argv[2] ?? join(ROOT, "assets/rocketmq-incident.pcap");
/** Packets of the second connection kept: SYN, SYN-ACK, ACK and the registration's first segments. */
const RECONNECT_PACKETS = 12;
const FULL_DATA_PACKETS = 2;

const dir = mkdtempSync(join(tmpdir(), "tcpwin-asset-"));
try {
  const full = join(dir, "incident.pcap");
  execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "src/cli/entry.ts"), "lab", "incident", "--pcap", full], { stdio: ["ignore", "inherit", "inherit"] });
  const b = readFileSync(full);
  const parts: Buffer[] = [b.subarray(0, 24)];
  const conns: string[] = [];
  const current = new Map<number, string>();
  const kept = new Map<string, number>();
  const dataSeen = new Map<string, number>();
  for (let o = 24; o + 16 <= b.length; ) {
    const caplen = b.readUInt32LE(o + 8);
    const rec = b.subarray(o, o + 16 + caplen);
    o += 16 + caplen;
    const ip = rec.subarray(16);
    if ((ip[0]! >> 4) !== 4 || ip[9] !== 6) continue;
    const ihl = (ip[0]! & 15) * 4;
    const tcp = ip.subarray(ihl);
    const sport = tcp.readUInt16BE(0), dport = tcp.readUInt16BE(2);
    const client = dport === 9876 ? sport : dport;
    // A SYN starts a new connection even when the port is reused (the fixed run's new namespace).
    const syn = (tcp[13]! & 0x12) === 0x02;
    if (syn || !current.has(client)) {
      current.set(client, `${client}#${conns.length}`);
      conns.push(current.get(client)!);
    }
    const key = current.get(client)!;
    const n = conns.indexOf(key);
    if (n > 1) continue; // the fixed run
    const count = (kept.get(key) ?? 0) + 1;
    kept.set(key, count);
    if (n === 1 && count > RECONNECT_PACKETS) continue;
    const hdr = ihl + (tcp[12]! >> 4) * 4;
    const payload = ip.readUInt16BE(2) - hdr;
    const dirKey = `${key}>${dport}`;
    let keep = ip.length;
    if (payload > 0) {
      const seen = (dataSeen.get(dirKey) ?? 0) + 1;
      dataSeen.set(dirKey, seen);
      if (seen > FULL_DATA_PACKETS) keep = hdr;
    }
    const r = Buffer.from(rec.subarray(0, 16 + keep));
    r.writeUInt32LE(keep, 8);
    parts.push(r);
  }
  writeFileSync(out, Buffer.concat(parts));
  console.log(`${out}: ${parts.length - 1} packets, ${Buffer.concat(parts).length} bytes`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
