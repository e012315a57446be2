/**
 * @module bench/reassembly
 * What stream reassembly (tcp/stream, tcp/reassembly) costs. `npm run bench -- reassembly`.
 *
 * 1. The 1 M-packet iperf3 capture of bench/analyze (make-capture.ts), analysed in-process:
 *    - no protocol, read in one thread (the comparison that isolates reassembly's cost);
 *    - no protocol, default read (a reader thread when a CPU is idle: what `analyze` does today);
 *    - a factory that accepts every flow and releases it on its first byte, as RocketMQ sniffing
 *      does with non-RocketMQ traffic (a run with protocols reads in one thread: the ring carries
 *      no payload). Target (issue 10): within 10 % of no protocol.
 *    - a factory that claims every flow (every segment delivered; the capture's snaplen 128 makes each
 *      a 62-byte view plus a gap for the rest).
 *    Each case in its own process (JIT feedback of one case must not shape another's), warm-up then
 *    best of 2; rounds interleaved (all cases see the same machine load), medians of BENCH_REPEAT (5).
 * 2. Claimed-flow throughput of the assembler itself, in memory: a 512 MiB stream in 1448-byte
 *    segments, in order, and with 1 % of segments arriving 3 segments late (held, copied, then
 *    flushed), with an ACK every other segment.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { analyzeCapture } from "../src/tcp/index.js";
import { StreamAssembler } from "../src/tcp/stream-assembler.js";
import { StreamClaim, type StreamFactory, type StreamHandler } from "../src/tcp/stream.js";
import { TCP_ACK, TCP_PSH } from "../src/capture/packet.js";
import { makeBigCapture } from "./make-capture.js";

const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 5));
const fmt = (x: number, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

class Counting implements StreamHandler {
  bytes = 0;
  gaps = 0;
  constructor(private readonly answer: StreamClaim) {}
  onData(_d: 0 | 1, b: Uint8Array): StreamClaim {
    this.bytes += b.length;
    return this.answer;
  }
  onGap(_d: 0 | 1, _at: number, n: number): void {
    this.gaps += n;
  }
  onAck(): void {}
  onClose(): void {}
  result(): unknown {
    return { bytes: this.bytes, gaps: this.gaps };
  }
}

const releasing: StreamFactory = { name: "release", accept: () => new Counting(StreamClaim.released) };
const claiming: StreamFactory = { name: "claim", accept: () => new Counting(StreamClaim.claimed) };

function time(f: () => unknown): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Wall and CPU ms of f (CPU: the whole process, all threads). */
function timeBoth(f: () => unknown): { ms: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const ms = time(f);
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000 };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const CASES = {
  none1: (file: string) => analyzeCapture(file, { readWorker: false }),
  noneDefault: (file: string) => analyzeCapture(file),
  release: (file: string) => analyzeCapture(file, { protocols: [releasing] }),
  claim: (file: string) => analyzeCapture(file, { protocols: [claiming] }),
};
type Case = keyof typeof CASES;

// Child mode: one case in a fresh process (no JIT feedback shared between cases): a warm-up run,
// then the best of two, as JSON.
const child = process.env.TCPWIN_BENCH_REASSEMBLY;
if (child) {
  const [c, file] = [child.slice(0, child.indexOf(":")) as Case, child.slice(child.indexOf(":") + 1)];
  const r = CASES[c](file);
  const delivered = r.connections.reduce((a, x) => a + ((x.app?.claim as { bytes: number } | undefined)?.bytes ?? 0), 0);
  const a = timeBoth(() => CASES[c](file));
  const b = timeBoth(() => CASES[c](file));
  const best = a.ms < b.ms ? a : b;
  process.stdout.write(JSON.stringify({ ms: best.ms, cpuMs: Math.min(a.cpuMs, b.cpuMs), packets: r.packets, connections: r.connections.length, delivered }) + "\n");
  process.exit(0);
}

interface ChildOut {
  ms: number;
  cpuMs: number;
  packets: number;
  connections: number;
  delivered: number;
}

function inChild(c: Case, file: string): ChildOut {
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
    encoding: "utf8",
    env: { ...process.env, TCPWIN_BENCH_REASSEMBLY: `${c}:${file}` },
    timeout: 300_000,
    killSignal: "SIGKILL",
  });
  if (r.status !== 0) throw new Error(`bench child ${c} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as ChildOut;
}

export async function run(): Promise<void> {
  const file = await makeBigCapture();
  const names = Object.keys(CASES) as Case[];
  const outs: Record<Case, ChildOut[]> = { none1: [], noneDefault: [], release: [], claim: [] };
  for (let i = 0; i < REPEAT; i++) for (const c of names) outs[c].push(inChild(c, file));
  const m = Object.fromEntries(names.map((c) => [c, median(outs[c].map((o) => o.ms))])) as Record<Case, number>;
  const cpu = Object.fromEntries(names.map((c) => [c, median(outs[c].map((o) => o.cpuMs))])) as Record<Case, number>;
  const { packets, connections } = outs.none1[0]!;
  const delivered = outs.claim[0]!.delivered;
  console.log(`capture: ${file} — ${fmt(packets)} packets, ${connections} connections`);
  console.log(`  analyzeCapture, each case in its own process (warm-up, best of 2), medians of ${REPEAT} interleaved rounds:`);
  const pct = (x: number) => `${x >= 0 ? "+" : ""}${fmt(x * 100, 1)} %`;
  const row = (name: string, c: Case) =>
    console.log(
      `  ${name.padEnd(58)} ${fmt(m[c]).padStart(6)} ms ${fmt(packets / (m[c] / 1000) / 1e6, 2).padStart(5)} M pkt/s  CPU ${fmt(cpu[c]).padStart(6)} ms` +
        (c === "release" || c === "claim" ? `  (${pct(m[c] / m.none1 - 1)} wall, ${pct(cpu[c] / cpu.none1 - 1)} CPU)` : ""),
    );
  row("no protocol, one thread", "none1");
  row("no protocol, default read (reader thread if a CPU is idle)", "noneDefault");
  row("accept every flow, release on the first byte", "release");
  row("claim every flow (every segment delivered)", "claim");
  // CPU time is the steadier measure on a shared machine (wall time includes waiting for a core).
  const over = cpu.release / cpu.none1 - 1;
  console.log(`  released flows vs no protocol, one thread: ${pct(over)} CPU, ${pct(m.release / m.none1 - 1)} wall (target ≤ 10 %: ${over <= 0.1 ? "met" : "NOT met"}); vs the default read: ${pct(m.release / m.noneDefault - 1)} wall`);
  console.log(`  load average while measuring: ${loadavg().map((x) => fmt(x, 1)).join(" ")} on ${availableParallelism()} CPUs`);
  console.log(`  claimed: ${fmt(delivered / 1e6, 1)} MB delivered (snaplen 128: the rest of each segment is a gap), ${fmt(((cpu.claim - cpu.none1) / packets) * 1e6)} ns CPU per packet over no protocol`);
  inMemory();
}

/** The assembler alone, claimed flow, full payloads: MB/s in order and with 1 % late segments. */
function inMemory(): void {
  const SEG = 1448;
  const TOTAL = 512 * 1024 * 1024;
  const n = Math.floor(TOTAL / SEG);
  const buf = new Uint8Array(64 + SEG);
  for (let i = 0; i < buf.length; i++) buf[i] = i & 255;
  const runOnce = (latePer: number): { ms: number; bytes: number } => {
    const h = new Counting(StreamClaim.claimed);
    const sa = new StreamAssembler([h], ["bench"]);
    const isn = 0xfff00000;
    let late = -1;
    const ms = time(() => {
      for (let i = 0; i < n; i++) {
        let k = i;
        if (latePer > 0) {
          // Segment i is held back and sent after i + 3 (a reordering on the path).
          if (late < 0 && i % latePer === 5) {
            late = i;
            continue;
          }
          if (late >= 0 && i === late + 3) {
            sa.segment(0, (isn + i * SEG) >>> 0, 0, TCP_ACK | TCP_PSH, buf, 64, SEG, SEG, i, i);
            k = late;
            late = -1;
          }
        }
        sa.segment(0, (isn + k * SEG) >>> 0, 0, TCP_ACK | TCP_PSH, buf, 64, SEG, SEG, i, i);
        if ((i & 1) === 1) sa.segment(1, 1, (isn + (i - 4) * SEG) >>> 0, TCP_ACK, buf, 0, 0, 0, i, i);
      }
    });
    return { ms, bytes: h.bytes };
  };
  for (const [name, per] of [["in order", 0], ["1 % of segments 3 late (held, copied)", 100]] as const) {
    runOnce(per); // warm
    const r = [runOnce(per), runOnce(per), runOnce(per)].sort((a, b) => a.ms - b.ms)[1]!;
    console.log(`  assembler alone, claimed, ${name.padEnd(38)} ${fmt(r.bytes / 1e6 / (r.ms / 1000)).padStart(6)} MB/s  ${fmt(n / (r.ms / 1000) / 1e6, 2)} M segments/s (${fmt(r.bytes / 2 ** 20)} MiB)`);
  }
}
