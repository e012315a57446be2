/**
 * @module bench/make-capture
 * A capture of real traffic for the benchmarks, made on demand and cached under .bench-out/
 * (gitignored): iperf3 through a veth pair joining two namespaces we create and remove, offloads
 * off (every packet wire-sized), tcpdump -s 128 on the sender's side. The analyze benchmark reuses it.
 * Needs root, iproute2, ethtool, tcpdump, iperf3 (throws saying which is missing).
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openCapture } from "../src/capture/open.js";
import { PacketRef } from "../src/capture/packet.js";
import { createVethPair, netnsSkipReason } from "../test/support/netns.js";

export const BENCH_OUT = fileURLToPath(new URL("../.bench-out/", import.meta.url));

/** Records in a capture (reads it: ~0.2 s per million). */
export function countPackets(path: string): number {
  const r = openCapture(path);
  const p = new PacketRef();
  let n = 0;
  while (r.next(p)) n++;
  r.close();
  return n;
}

/**
 * Path of a pcap with at least `minPackets` packets of one bulk iperf3 transfer (plus its ACKs),
 * snaplen 128. Made once, then reused from .bench-out/iperf-<minPackets>.pcap.
 */
export async function makeBigCapture(minPackets = 1_000_000): Promise<string> {
  mkdirSync(BENCH_OUT, { recursive: true });
  const path = join(BENCH_OUT, `iperf-${minPackets}.pcap`);
  if (existsSync(path) && statSync(path).size > 24) return path;
  const why = netnsSkipReason(["ip", "tcpdump", "iperf3", "ethtool"]);
  if (why) throw new Error(`cannot make the benchmark capture: ${why}`);
  // ~1.5 packets per 1448-byte segment (delayed ACKs); 15 % margin for the handshake/slow start.
  let bytes = Math.ceil(((minPackets / 1.5) * 1448 * 1.15) / 1e6);
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = `${path}.tmp`;
    const pair = createVethPair();
    try {
      const cap = await pair.capture(tmp, ["-i", "veth-a", "-s", "128"]);
      await pair.iperf(pair.ipB, ["-n", `${bytes}M`], { timeoutMs: 600_000 });
      await cap.stop();
    } finally {
      pair.close();
    }
    const n = countPackets(tmp);
    if (n >= minPackets) {
      renameSync(tmp, path);
      return path;
    }
    rmSync(tmp, { force: true });
    // tcpdump dropped packets or ACKs were coalesced more than expected: ask for more.
    bytes = Math.ceil((bytes * minPackets * 1.2) / Math.max(n, 1));
  }
  throw new Error(`could not capture ${minPackets} packets in 3 attempts`);
}
