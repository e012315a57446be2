/**
 * @module bench/capture
 * Read speed of the capture layer on ≥ 1 M real packets (bench/make-capture.ts): reader alone and
 * reader + link/IP/TCP decoder, in packets/s and MB/s of file, in-process (best of 3 after a warm-up)
 * and as a whole process (startup included) with its peak RSS; against `tcptrace -l -r F` and
 * `tshark -r F -q` timed in the same run. Peak RSS is also taken on a tiny capture to show that
 * memory does not grow with the file.
 *
 * The child mode (TCPWIN_BENCH_READ=<file>) is the "process doing only the read" and prints JSON.
 */
import { spawnSync } from "node:child_process";
import { statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openCapture } from "../src/capture/open.js";
import { PacketRef, TcpPacket } from "../src/capture/packet.js";
import { decodeTcpPacket } from "../src/capture/decode.js";
import { BENCH_OUT, makeBigCapture } from "./make-capture.js";

interface Pass {
  packets: number;
  tcp: number;
  ms: number;
}

function readPass(path: string, decode: boolean): Pass {
  const t0 = process.hrtime.bigint();
  const r = openCapture(path);
  const pkt = new PacketRef();
  const seg = new TcpPacket();
  let n = 0;
  let tcp = 0;
  let sum = 0;
  if (decode) {
    while (r.next(pkt)) {
      n++;
      if (decodeTcpPacket(pkt, seg) === 0) {
        tcp++;
        sum += seg.payloadLen;
      }
    }
  } else {
    while (r.next(pkt)) {
      n++;
      sum += pkt.caplen;
    }
  }
  r.close();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (sum < 0) console.log(sum); // keep the loop's result alive
  if (r.error) throw new Error(`benchmark capture unreadable: ${r.error.message}`);
  return { packets: n, tcp, ms };
}

if (process.env.TCPWIN_BENCH_READ) {
  const p = readPass(process.env.TCPWIN_BENCH_READ, true);
  console.log(JSON.stringify({ ...p, maxRssKB: process.resourceUsage().maxRSS }));
  process.exit(0);
}

function wall(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { ms: number; stdout: string; ok: boolean } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28, env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout: r.stdout ?? "", ok: r.status === 0 };
}

function has(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
}

/**
 * The child runs as plain JavaScript, as the built CLI does: this file bundled by esbuild (present
 * with tsx) into .bench-out/; through tsx (≈ 0.25 s more startup) if esbuild is missing.
 */
function childCommand(): string[] {
  const self = fileURLToPath(import.meta.url);
  const out = join(BENCH_OUT, "capture-bench.mjs");
  const esbuild = fileURLToPath(new URL("../node_modules/.bin/esbuild", import.meta.url));
  if (existsSync(esbuild)) {
    const r = spawnSync(esbuild, [self, "--bundle", "--platform=node", "--format=esm", `--outfile=${out}`, "--log-level=error"], { encoding: "utf8" });
    if (r.status === 0) return [out];
  }
  return ["--import", "tsx", self];
}

let child: string[] | undefined;
function childRead(path: string): { ms: number; packets: number; maxRssKB: number; inLoopMs: number } {
  child ??= childCommand();
  const w = wall(process.execPath, child, { ...process.env, TCPWIN_BENCH_READ: path });
  if (!w.ok) throw new Error(`read child failed: ${w.stdout}`);
  const j = JSON.parse(w.stdout.trim().split("\n").pop()!) as Pass & { maxRssKB: number };
  return { ms: w.ms, packets: j.packets, maxRssKB: j.maxRssKB, inLoopMs: j.ms };
}

const fmt = (x: number, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

export async function run(): Promise<void> {
  const file = await makeBigCapture();
  const mb = statSync(file).size / 1e6;
  // Warm-up (JIT), then best of 3.
  readPass(file, true);
  const best = (decode: boolean) => [0, 1, 2].map(() => readPass(file, decode)).reduce((a, b) => (b.ms < a.ms ? b : a));
  const readOnly = best(false);
  const decoded = best(true);
  const proc = childRead(file);
  const tiny = new URL("../../shared/fixtures/rocketmq/rocketmq-heartbeat.pcap", import.meta.url).pathname;
  const procTiny = existsSync(tiny) ? childRead(tiny) : null;
  const tcptrace = has("tcptrace") ? wall("tcptrace", ["-l", "-r", file]) : null;
  // tshark -q with no tap reads records without dissecting them; -z conv,tcp makes it dissect TCP.
  const tshark = has("tshark") ? wall("tshark", ["-r", file, "-q"]) : null;
  const tsharkConv = has("tshark") ? wall("tshark", ["-r", file, "-q", "-z", "conv,tcp"]) : null;
  for (const [name, w] of [["tcptrace", tcptrace], ["tshark", tshark], ["tshark -z conv,tcp", tsharkConv]] as const) {
    if (w && !w.ok) console.log(`  (${name} exited non-zero; its time is not meaningful)`);
  }

  console.log(`capture: ${file} — ${fmt(readOnly.packets)} packets, ${fmt(mb, 1)} MB (iperf3 through veth, tcpdump -s 128)`);
  const rows = [
    ["reader only (in-process)", readOnly.ms, readOnly.packets],
    ["reader + TCP decode (in-process)", decoded.ms, decoded.packets],
    [`tcpwin read+decode, whole process${child?.[0] === "--import" ? " (tsx)" : ""}`, proc.ms, proc.packets],
    ...(tcptrace ? [["tcptrace -l -r", tcptrace.ms, readOnly.packets]] : []),
    ...(tshark ? [["tshark -r F -q (no dissection)", tshark.ms, readOnly.packets]] : []),
    ...(tsharkConv ? [["tshark -r F -q -z conv,tcp", tsharkConv.ms, readOnly.packets]] : []),
  ] as [string, number, number][];
  for (const [name, ms, n] of rows) {
    console.log(`  ${name.padEnd(38)} ${fmt(ms).padStart(8)} ms  ${fmt(n / (ms / 1000) / 1e6, 2).padStart(6)} M pkt/s  ${fmt(mb / (ms / 1000)).padStart(6)} MB/s`);
  }
  console.log(`  TCP segments decoded: ${fmt(decoded.tcp)} of ${fmt(decoded.packets)}`);
  console.log(`  peak RSS of the read process: ${fmt(proc.maxRssKB / 1024, 1)} MB on ${fmt(mb)} MB` + (procTiny ? `; ${fmt(procTiny.maxRssKB / 1024, 1)} MB on a ${fmt(statSync(tiny).size / 1e3, 1)} kB capture` : ""));
  if (tcptrace) console.log(`  vs tcptrace: ${fmt(tcptrace.ms / proc.ms, 2)}× (whole process), ${fmt(tcptrace.ms / decoded.ms, 2)}× (in-process loop)`);
  if (tshark) console.log(`  vs tshark -q (read only): ${fmt(tshark.ms / proc.ms, 2)}× (whole process), ${fmt(tshark.ms / readOnly.ms, 1)}× (in-process reader)`);
  if (tsharkConv) console.log(`  vs tshark -z conv,tcp (dissecting): ${fmt(tsharkConv.ms / proc.ms, 1)}× (whole process), ${fmt(tsharkConv.ms / decoded.ms, 1)}× (in-process loop)`);
}
