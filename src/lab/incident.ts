/**
 * @module lab/incident
 * `tcpwin lab incident`: the RocketMQ incident end to end on one machine. Over `lab link` (RTT
 * 1.66 ms, MTU 614, no timestamps: MSS 574 as in the incident's capture) tcpwin's name server
 * runs with a config file saying `serverSocketRcvBufSize=1024` while its -D says 1048576 (the
 * file wins), tcpwin's broker registers a ≈ 2 079 208-byte topic table with invokeSync's 3000 ms
 * timeout, and the capture of it is analysed: the linked verdict names the request, the window,
 * the arithmetic and the setting. Then the config file is fixed with the value that verdict
 * names, and the run repeated: it succeeds. Both runs' captures are joined into one file.
 *
 * Every process runs as the shipped CLI (`selfCommand`), inside the link's namespaces; the link,
 * its namespaces and children are removed when a run ends, fails or is interrupted (the guard).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { TcpwinError } from "../errors.js";
import { diagnoseAll, type Diagnosed } from "../diagnose/index.js";
import { kernelFamily, parseKernelVersion, predictTransfer } from "../model/index.js";
import { rocketmqFactory, type RocketmqExchange, type RocketmqResult } from "../protocols/rocketmq/exchange-tracker.js";
import { analyzeCapture } from "../tcp/index.js";
import { LabLink } from "./link/link.js";
import { collect, shellQuote, waitListener } from "./link/children.js";
import type { RegistrationResult } from "./rocketmq/broker.js";

/** The incident's numbers (../shared/reference/rocketmq-remoting.md, and the incident's capture). */
export const INCIDENT = {
  rttMs: 1.66,
  mtu: 614,
  bodyBytes: 2_079_208,
  timeoutMs: 3000,
  fileRcvbuf: 1024,
  jvmRcvbuf: 1_048_576,
  /** The name server's window in the incident's capture: two segments of MSS 574. */
  windowBytes: 1148,
  mss: 574,
  /** When the incident's registration was answered. */
  answeredMs: 3180,
} as const;

export const JVM_RCVBUF = "-Dcom.rocketmq.remoting.socket.rcvbuf.size";

export interface IncidentOptions {
  /** This very program (`node …/entry.js`): the name server and broker are the shipped CLI. */
  selfCommand: string[];
  rttMs?: number;
  mtu?: number;
  bodyBytes?: number;
  timeoutMs?: number;
  fileRcvbuf?: number;
  jvmRcvbuf?: number;
  /**
   * Where the name server sets its buffers: on the listener before the SYN (default: the incident's
   * capture has a 1148-byte SYN-ACK window, which only a buffer in place before the SYN gives), or
   * on each accepted socket after the handshake, as Netty's childOption is written (window scale
   * chosen from the listener's default buffer, then 1024-byte steps and zero windows).
   */
  apply?: "accepted" | "listener";
  /** Registrations in the failing run (2: the close after the timeout, then the next period's new connection). */
  attempts?: number;
  /** registerNameServerPeriod of the failing run, ms. */
  periodMs?: number;
  /** Keep both runs' capture here (joined, one file). */
  pcapPath?: string | undefined;
  prefix?: string;
  onProgress?: (line: string) => void;
  /** Installs signal/exit cleanup for a link while it exists (cli/ passes lab's guardLink). */
  guard?: (link: LabLink) => () => void;
}

export interface IncidentRun {
  label: "as configured" | "fixed";
  /** The name server's config file, as written. */
  config_file: string;
  jvm: string;
  /** serverSocketRcvBufSize as the name server resolved it. */
  rcvbuf: { value: number | null; source: string; applied: number | null };
  /** The broker's own account (invokeSync). */
  timed_out: boolean;
  elapsed_ms: number;
  registrations: RegistrationResult[];
  /** The model: the request at the window the capture shows and the link's RTT. */
  predicted_ms: number | null;
  /** The window the name server advertised while the request was sent (median), and its scale. */
  window_bytes: number | null;
  window_scale: number | null;
  /** The capture's account of the first registration (tcpwin analyze on this run's capture). */
  exchange: RocketmqExchange | null;
  verdict: Diagnosed["verdict"] | null;
  stream: number | null;
}

export interface IncidentResult {
  runs: IncidentRun[];
  /** Where the joined capture is (null: deleted with the run). */
  pcap: string | null;
  kernel: string;
  apply: "accepted" | "listener";
  rtt_ms: number;
  mtu: number;
  timeout_ms: number;
  /** Why this machine's run takes longer than the incident's, from the numbers measured. */
  why_longer: string[];
}

function parseLines<T>(text: string, what: string): T[] {
  const out: T[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      throw new TcpwinError("lab_output", `${what} printed a line that is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
    }
  }
  return out;
}

interface NamesrvSettings {
  listening?: unknown;
  serverSocketRcvBufSize?: { value: number | null; source: string; applied: number | null };
}

/** The connection that carried the first registration, and its exchange. */
function registrationOf(list: readonly Diagnosed[], opaque: number): { d: Diagnosed; ex: RocketmqExchange } | null {
  for (const d of [...list].sort((a, b) => a.evidence.stream - b.evidence.stream)) {
    const rq = d.evidence.app?.["rocketmq"] as RocketmqResult | undefined;
    const ex = rq?.exchanges.find((e) => e.code === 103 && e.opaque === opaque);
    if (ex) return { d, ex };
  }
  return null;
}

/** Two pcap files of the same writer (same header) as one: the second's records after the first's. */
export function joinPcaps(a: Buffer, b: Buffer): Buffer {
  if (a.length < 24 || b.length < 24 || !a.subarray(0, 24).equals(b.subarray(0, 24))) throw new TcpwinError("pcap_join", "the two runs' captures have different headers");
  return Buffer.concat([a, b.subarray(24)]);
}

export async function runIncident(opts: IncidentOptions): Promise<IncidentResult> {
  const o = {
    rttMs: opts.rttMs ?? INCIDENT.rttMs,
    mtu: opts.mtu ?? INCIDENT.mtu,
    bodyBytes: opts.bodyBytes ?? INCIDENT.bodyBytes,
    timeoutMs: opts.timeoutMs ?? INCIDENT.timeoutMs,
    fileRcvbuf: opts.fileRcvbuf ?? INCIDENT.fileRcvbuf,
    jvmRcvbuf: opts.jvmRcvbuf ?? INCIDENT.jvmRcvbuf,
    apply: opts.apply ?? "listener",
    attempts: opts.attempts ?? 2,
    periodMs: opts.periodMs ?? 3500,
  };
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-incident-"));
  const self = opts.selfCommand.map(shellQuote).join(" ");
  const jvm = `${JVM_RCVBUF}=${o.jvmRcvbuf}`;
  const kernel = release();
  const family = kernelFamily(parseKernelVersion(kernel) ?? { major: 6, minor: 10 });

  const oneRun = async (label: IncidentRun["label"], configText: string, attempts: number, pcap: string): Promise<IncidentRun> => {
    const conf = join(dir, `namesrv-${label === "fixed" ? "fixed" : "broken"}.properties`);
    writeFileSync(conf, configText);
    const key = configText.split("\n").find((l) => l.startsWith("serverSocketRcvBufSize")) ?? "no serverSocketRcvBufSize in its file";
    opts.onProgress?.(`${label}: link RTT ${o.rttMs} ms, MTU ${o.mtu}; name server with ${key}…`);
    const link = await LabLink.create({ rttMs: o.rttMs, mtu: o.mtu, timestamps: false, pcapPath: pcap, pcapSide: "a", prefix: opts.prefix });
    const unguard = opts.guard?.(link);
    try {
      const ns = link.spawnIn("b", `exec ${self} lab namesrv -c ${shellQuote(conf)} --jvm ${shellQuote(jvm)} --apply ${o.apply} --json`, { stdio: "pipe" });
      const nsOut = collect(ns);
      await waitListener(link, ns, 20_000, "lab namesrv");
      const brokerArgs = ["lab", "broker", `${link.info.addr_b}:9876`, "--body-size", String(o.bodyBytes), "--timeout", `${o.timeoutMs}ms`, "--count", String(attempts), "--period", `${o.periodMs}ms`, "--json"];
      opts.onProgress?.(`${label}: the broker registers ${o.bodyBytes} B with a ${o.timeoutMs} ms timeout${attempts > 1 ? `, ${attempts} periods` : ""}…`);
      const broker = link.spawnIn("a", `exec ${self} ${brokerArgs.map(shellQuote).join(" ")}`, { stdio: "pipe" });
      const bOut = await collect(broker);
      await link.stopChild(ns);
      const nsText = await nsOut;
      // Status 1 is a registration that timed out or failed: what this run is about; its lines say which.
      if (bOut.code !== 0 && bOut.code !== 1) throw new TcpwinError("lab_broker", `lab broker exited with status ${bOut.code}: ${bOut.stderr.trim().split("\n").pop() ?? ""}`);
      const registrations = parseLines<RegistrationResult>(bOut.stdout, "lab broker");
      const failed = registrations.find((g) => g.error !== undefined);
      if (failed) throw new TcpwinError("lab_broker", `lab broker: registration #${failed.index + 1} failed: ${failed.error}`);
      const first = registrations[0];
      if (!first) throw new TcpwinError("lab_broker", "lab broker made no registration");
      const settings = parseLines<NamesrvSettings>(nsText.stdout, "lab namesrv").find((x) => x.serverSocketRcvBufSize !== undefined);
      link.close();

      opts.onProgress?.(`${label}: analysing the capture…`);
      const r = analyzeCapture(pcap, { protocols: [rocketmqFactory({ timeoutMs: o.timeoutMs })] });
      if (r.error) throw new TcpwinError("capture_unreadable", `the run's capture ${pcap}: ${r.error.message}`);
      const found = registrationOf(diagnoseAll(r.connections, { kernel: parseKernelVersion(kernel) ?? undefined }), first.opaque);
      const m = found?.d.verdict.measures ?? null;
      const window = m?.rwnd_median_bytes ?? null;
      const segment = m && m.segment > 0 ? m.segment : o.mtu - 40;
      const predicted =
        window !== null && window > 0 ? Math.round(predictTransfer({ sizeBytes: first.frame_bytes, rttSec: o.rttMs / 1000, segment, windowBytes: window }).predictedMs) : null;
      const shift = found ? found.d.evidence[found.d.verdict.direction ?? "c2s"].rwnd_scale.shift : null;
      return {
        label,
        config_file: configText,
        jvm,
        rcvbuf: settings?.serverSocketRcvBufSize ?? { value: null, source: "unknown", applied: null },
        timed_out: first.timed_out,
        elapsed_ms: first.elapsed_ms,
        registrations,
        predicted_ms: predicted,
        window_bytes: window,
        window_scale: shift !== null && shift >= 0 ? shift : null,
        exchange: found?.ex ?? null,
        verdict: found?.d.verdict ?? null,
        stream: found?.d.evidence.stream ?? null,
      };
    } finally {
      link.close();
      unguard?.();
    }
  };

  try {
    const pcaps = [join(dir, "as-configured.pcap"), join(dir, "fixed.pcap")];
    const broken = await oneRun("as configured", `listenPort=9876\nserverSocketRcvBufSize=${o.fileRcvbuf}\n`, o.attempts, pcaps[0]!);
    // The fix is the one the linked verdict names: its value, or no key at all (kernel autotuning).
    const value = broken.verdict?.app?.setting?.value ?? null;
    const fixedText = value !== null ? `listenPort=9876\nserverSocketRcvBufSize=${value}\n` : `listenPort=9876\n`;
    const fixed = await oneRun("fixed", fixedText, 1, pcaps[1]!);
    let pcap: string | null = null;
    if (opts.pcapPath) {
      writeFileSync(opts.pcapPath, joinPcaps(readFileSync(pcaps[0]!), readFileSync(pcaps[1]!)));
      pcap = opts.pcapPath;
    }
    return {
      runs: [broken, fixed],
      pcap,
      kernel,
      apply: o.apply,
      rtt_ms: o.rttMs,
      mtu: o.mtu,
      timeout_ms: o.timeoutMs,
      why_longer: whyLonger(broken, o, family),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The incident's registration was answered after 3.18 s; here it may need far longer: why, in numbers. */
function whyLonger(run: IncidentRun, o: { rttMs: number; timeoutMs: number; apply: "accepted" | "listener" }, family: string): string[] {
  const size = run.registrations[0]?.frame_bytes ?? INCIDENT.bodyBytes;
  const rounds = (w: number) => Math.ceil(size / w);
  const out: string[] = [];
  const w = run.window_bytes;
  if (w === null || w <= 0) return out;
  const theirs = rounds(INCIDENT.windowBytes);
  const ours = rounds(w);
  out.push(
    `In the incident the name server advertised ${INCIDENT.windowBytes} B (two segments of ${INCIDENT.mss}) per round trip: ${size} B in ${theirs} round trips ≈ ${((theirs * o.rttMs) / 1000).toFixed(2)} s, ` +
      `answered after ${(INCIDENT.answeredMs / 1000).toFixed(2)} s. Here it advertised ${w} B (median): ${ours} round trips ≈ ${((ours * o.rttMs) / 1000).toFixed(2)} s at ${o.rttMs} ms — ` +
      `${ours > theirs ? `${(ours / theirs).toFixed(1)}× as long, so the ${o.timeoutMs} ms timeout cuts it off much earlier` : "no longer than the incident's"}.`,
  );
  if (run.window_scale !== null && run.window_scale > 0 && o.apply === "accepted") {
    out.push(
      `The name server set SO_RCVBUF on each accepted socket, after the handshake (Netty's childOption): the window scale (${run.window_scale}) had already been chosen from the listener's default buffer, ` +
        `so the 2304-byte buffer is advertised in ${1 << run.window_scale}-byte steps — ${w} B or nothing, with zero windows and retransmissions when a segment does not fit.`,
    );
  }
  // Only a buffer in place before the SYN gives the one-MSS steady window (the accepted-socket case is said above).
  if (family === "6.10+" && o.apply === "listener") {
    out.push(
      `This kernel (${release()}) follows Linux ≥ 6.10's receive window rules: a locked 2304-byte buffer's steady window is one MSS, not the two an older kernel gave ` +
        `(the receiver's scaling_ratio starts at 50 % and each ACK is computed while a segment is still queued): half the window, twice the round trips.`,
    );
  }
  return out;
}
