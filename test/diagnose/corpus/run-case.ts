/**
 * @module test/diagnose/corpus/run-case
 * Makes one corpus case's capture (lab link or veth + tcpdump), analyses it as `tcpwin analyze`
 * does, and returns the verdict of the data connection (the one that moved the most bytes: iperf3
 * opens a control connection too) — for the capture as made and, for `cut` cases, with its first
 * packets removed. Everything a run starts is killed, and every namespace removed, on return.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeCapture } from "../../../src/tcp/index.js";
import { diagnoseAll, type Diagnosed } from "../../../src/diagnose/index.js";
import { captureIperf, createVethPair } from "../../support/netns.js";
import type { Case, LabPath } from "./cases.js";
import { iperfRetransmittedShare, truthsFor } from "./kernel-truth.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HERE = fileURLToPath(new URL("./", import.meta.url));
const ENTRY = join(ROOT, "src/cli/entry.ts");
/** Longest one case may take before its processes are killed. */
const CASE_TIMEOUT_MS = 90_000;

export interface Judged {
  variant: "full" | "cut";
  kind: string;
  rule: string;
  confidence: number;
  summary: string;
}

export interface CaseRun {
  id: string;
  truth: string;
  judged: Judged[];
  /** iperf3's retransmitted segments × MSS / bytes sent, for cases whose truth the kernel's count can change. */
  kernel_retransmitted?: number;
  /** Set when the case could not be made (a tool failed): not a verdict. */
  error: string | null;
  ms: number;
}

function judge(file: string, variant: Judged["variant"]): Judged {
  const r = analyzeCapture(file);
  if (r.error) throw new Error(`${variant}: capture unreadable: ${JSON.stringify(r.error)}`);
  const list = diagnoseAll(r.connections);
  const d = [...list].sort((a, b) => total(b) - total(a))[0];
  if (!d) throw new Error(`${variant}: no connection in the capture`);
  const v = d.verdict;
  const m = v.measures;
  const f = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? "-" : x.toFixed(digits));
  return {
    variant,
    kind: v.kind,
    rule: v.rule.id,
    confidence: v.confidence,
    summary:
      `${v.kind}/${v.rule.id} conf ${f(v.confidence)} sec ${v.secondary?.kind ?? "-"}; rwnd ${f(m?.rwnd_share)} cwnd ${f(m?.cwnd_share)} app ${f(m?.app_own_share)}` +
      ` snd ${f(m?.sender_share)} peer ${f(m?.peer_wait_share)} wbound ${f(m?.window_bound_ratio)} fbound ${f(m?.flight_bound_ratio)} loss ${f(m?.loss_rate, 4)}` +
      ` q ${f(m?.rtt_queue_ms)}ms rtt ${f(m?.rtt_ms, 3)} cap ${f(m?.captured_share)} ${m ? Math.round((m.throughput_bytes_per_sec ?? 0) / 1e6) : "-"}MB/s`,
  };
}

const total = (d: Diagnosed) => d.evidence.c2s.bytes + d.evidence.s2c.bytes;

/** A classic pcap (either byte order) without its first `n` packet records. */
export function cutPcap(buf: Buffer, n: number): Buffer {
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`not a classic pcap (magic 0x${magic.toString(16)})`);
  let off = 24;
  for (let i = 0; i < n && off + 16 <= buf.length; i++) off += 16 + (le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8));
  return Buffer.concat([buf.subarray(0, 24), buf.subarray(Math.min(off, buf.length))]);
}

function runLab(p: LabPath, pcap: string): Promise<void> {
  const tcpwin = `${process.execPath} --import tsx ${ENTRY}`;
  const env = { ...process.env, TCPWIN: tcpwin, CORPUS: HERE.replace(/\/$/, "") };
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY, "lab", "link", ...p.link, "--pcap", pcap, "--server", p.server, "--client", p.client], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return finished(child, `lab link ${p.link.join(" ")}`);
}

function finished(child: ChildProcess, what: string): Promise<void> {
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    // SIGTERM first: lab link removes its namespaces on it; SIGKILL if it does not go.
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    }, CASE_TIMEOUT_MS);
    child.once("exit", (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${what} exited ${code ?? sig}: ${out.slice(-600)}`));
    });
  });
}

/** One run of `c`: its capture made in a fresh temporary directory, judged, deleted. */
export async function runCase(c: Case): Promise<CaseRun> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `tcpwin-corpus-${c.id}-`));
  const run: CaseRun = { id: c.id, truth: c.truth, judged: [], error: null, ms: 0 };
  let truths = [c.truth];
  try {
    const pcap = join(dir, "cap.pcap");
    try {
      if (c.path.via === "lab") await runLab(c.path, pcap);
      else {
        const pair = createVethPair(c.path.mtu ? { mtu: c.path.mtu } : {});
        try {
          const cap = await captureIperf(pair, pcap, c.path.iperf);
          if (c.kernelRetransmitted) {
            const share = iperfRetransmittedShare(cap.iperf, c.path.mtu ?? 1500);
            if (share !== null) run.kernel_retransmitted = share;
            truths = truthsFor(c.truth, share);
          }
        } finally {
          pair.close();
        }
      }
    } catch (e) {
      run.error = (e as Error).message;
      return run;
    }
    run.judged.push(judge(pcap, "full"));
    // Near a band's edge either kind is right: the run's truth is the one said, if it is one of them.
    run.truth = truths.find((k) => k === run.judged[0]!.kind) ?? truths[0]!;
    if (c.cut) {
      const cut = join(dir, "cut.pcap");
      writeFileSync(cut, cutPcap(readFileSync(pcap), c.cut));
      run.judged.push(judge(cut, "cut"));
    }
    return run;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    run.ms = Date.now() - t0;
  }
}

/** Another process keeping one CPU busy for as long as it runs (the "under load" runs). */
export function busyCpu(): { stop(): void } {
  const p = spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" });
  return { stop: () => void p.kill("SIGKILL") };
}
