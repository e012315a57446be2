/**
 * @module lab/rocketmq/broker
 * The registering half of a RocketMQ broker, for the lab: every period it sends REGISTER_BROKER
 * (103) with a topic table of N topics (or of a chosen body size) to a name server, with the
 * semantics of `BrokerOuterAPI.registerBrokerAll` → `NettyRemotingClient.invokeSync`:
 *
 * - the timeout budget starts before the channel is made, so connect time counts
 *   (invokeSync: `timeoutMillis - costTime`);
 * - a request whose response has not arrived when the budget is spent is a timeout — also when its
 *   bytes are still being written (ResponseFuture.sendRequestOK defaults to true);
 * - on a timeout the channel is closed when `clientCloseSocketIfTimeout` (default true since 4.9.1):
 *   what the kernel holds is still sent, then FIN; the next period opens a new connection (new SYN);
 * - otherwise the channel is kept and reused next period;
 * - `forceRegister=false` first asks QUERY_DATA_VERSION (322) and registers only when the name
 *   server says `changed` (or the query failed).
 *
 * Periods run at a fixed rate (scheduleAtFixedRate: a late registration is followed at once by the
 * next, never overlapped). The first registration starts at once (BrokerController.start()).
 * Client buffers come from the broker's `-c` file and `-D` properties, resolved like Part 1
 * (clientSocketSndBufSize / clientSocketRcvBufSize, set before connect as Bootstrap.option does).
 */
import { readFileSync } from "node:fs";
import { TcpwinError } from "../../errors.js";
import {
  buildRegisterBrokerBody,
  encodeFrame,
  queryDataVersionRequest,
  registerBrokerRequest,
  registerBrokerTimeoutMs,
  versionOrdinal,
  type BrokerIdentity,
  type DataVersion,
  type EncodeCommand,
  type StreamFrame,
} from "../../protocols/rocketmq/index.js";
import { decodeLatin1, parseJavaProperties, parseJvmArgs, parseRocketmqVersion, resolveSocketBuffers, type ResolvedSetting } from "../../protocols/rocketmq/config/index.js";
import { connectTuned, type TuningReport } from "../tuned-socket.js";
import { RemotingChannel } from "./channel.js";

export interface BrokerOptions {
  /** The name server, "host:port". */
  namesrv: string;
  /** Topics in the table (default 1)… */
  topics?: number;
  /** …or the REGISTER_BROKER body size to reach, bytes (as JSON; the table is sized to it). */
  bodySize?: number;
  /** RocketMQ version to behave as (default 4.9.8): header `version`, body layout, default timeout. */
  version?: string;
  /** The broker's `-c` file (path or text) and JVM options: client socket buffers. */
  configFile?: string;
  configText?: string;
  jvm?: string;
  /** registerBrokerTimeoutMills; default the version's (6000 in 4.x, 24000 in 5.x). */
  timeoutMs?: number;
  /** Time between registrations (registerNameServerPeriod, default 30000). */
  periodMs?: number;
  /** Registrations to make (default 1). */
  count?: number;
  compressed?: boolean;
  /** Default true: register every period without asking QUERY_DATA_VERSION first. */
  forceRegister?: boolean;
  /** Default: true from 4.9.1 (NettySystemConfig), false before. */
  closeSocketIfTimeout?: boolean;
  brokerName?: string;
  clusterName?: string;
  /** The address registered (the broker's own listen address); default "<local ip>:10911". */
  brokerAddr?: string;
  brokerId?: number;
  /** TCP_MAXSEG on the client socket (lab runs without an MTU-limited link). */
  mss?: number;
  /** First opaque (RemotingCommand's requestId counter starts at 0). */
  opaqueStart?: number;
  signal?: AbortSignal;
  onRegistration?: (r: RegistrationResult) => void;
}

export interface RegistrationResult {
  index: number;
  /** 103, or 322 when only QUERY_DATA_VERSION was sent (forceRegister=false, unchanged). */
  code: number;
  opaque: number;
  /** When it started, ms since the run began. */
  started_ms: number;
  /** Time to make a new connection, ms; null when the channel was reused. */
  connect_ms: number | null;
  /** The REGISTER_BROKER invokeSync (or the QUERY_DATA_VERSION one when nothing was registered): from its start, connect included, to the response or the timeout, ms. */
  elapsed_ms: number;
  timeout_ms: number;
  timed_out: boolean;
  response_code: number | null;
  remark: string | null;
  /** A failure other than a timeout (connect refused, connection reset). */
  error?: string;
  body_bytes: number;
  frame_bytes: number;
  topics: number;
  new_connection: boolean;
  /** The channel was closed because of the timeout (clientCloseSocketIfTimeout). */
  closed_after_timeout: boolean;
  local_port: number | null;
  /** With forceRegister=false: what QUERY_DATA_VERSION said. */
  changed?: boolean;
}

export interface BrokerRun {
  results: RegistrationResult[];
  settings: { clientSocketSndBufSize: ResolvedSetting; clientSocketRcvBufSize: ResolvedSetting; client?: TuningReport };
  identity: BrokerIdentity;
  body_bytes: number;
  topics: number;
  timeout_ms: number;
}

export class BrokerError extends TcpwinError {
  override readonly name = "BrokerError";
}

function parseAddr(a: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(a) ?? /^([^:]+):(\d+)$/.exec(a);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new BrokerError("bad_address", `name server address ${JSON.stringify(a)}: expected host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

interface Pending {
  opaque: number;
  /** The channel the request went out on: only its close fails it. */
  channel: RemotingChannel;
  resolve: (f: StreamFrame | null) => void;
}

/** Run `count` registrations, one per period; resolves with each one's outcome. */
export async function runBroker(opts: BrokerOptions): Promise<BrokerRun> {
  const versionText = opts.version ?? "4.9.8";
  const v = parseRocketmqVersion(versionText);
  if (!v) throw new BrokerError("bad_version", `version ${JSON.stringify(versionText)}: expected e.g. 4.9.2`);
  const ordinal = versionOrdinal(`${v.major}.${v.minor}.${v.patch}`);
  const { host, port } = parseAddr(opts.namesrv);
  let text = opts.configText;
  if (opts.configFile !== undefined) {
    try {
      text = decodeLatin1(readFileSync(opts.configFile));
    } catch (e) {
      throw new BrokerError("config_unreadable", `cannot read ${opts.configFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  }
  const file = text !== undefined ? parseJavaProperties(text) : undefined;
  if (file?.error) throw new BrokerError("config_malformed", `${opts.configFile ?? "config"}: ${file.error.message}`);
  let jvm;
  try {
    jvm = parseJvmArgs(opts.jvm ?? "");
  } catch (e) {
    throw new BrokerError("bad_jvm", `jvm options: ${(e as Error).message}`);
  }
  const resolved = resolveSocketBuffers({ role: "broker", version: v, file, jvm: jvm.props });
  const snd = resolved.clientSocketSndBufSize;
  const rcv = resolved.clientSocketRcvBufSize;
  for (const s of [snd, rcv]) {
    if (s.jvmFails) throw new BrokerError("jvm_property", `-D${s.jvmProperty}=${JSON.stringify(s.jvmFails.raw)}: ${s.jvmFails.reason}; a Java broker would not start either`);
  }
  const tuning = { sndbuf: snd.applied ?? undefined, rcvbuf: rcv.applied ?? undefined, mss: opts.mss };
  const timeoutMs = opts.timeoutMs ?? registerBrokerTimeoutMs(ordinal) ?? 6000;
  const periodMs = opts.periodMs ?? 30_000;
  const count = opts.count ?? 1;
  const closeIfTimeout = opts.closeSocketIfTimeout ?? !(v.major === 4 && (v.minor < 9 || (v.minor === 9 && v.patch < 1)));
  const forceRegister = opts.forceRegister ?? true;
  if (opts.topics !== undefined && opts.bodySize !== undefined) throw new BrokerError("bad_options", "give topics or bodySize, not both");

  const dataVersion: DataVersion = { counter: 1, timestamp: Date.now() };
  const { body, bytes } = buildRegisterBrokerBody({
    version: ordinal,
    compress: opts.compressed ?? false,
    dataVersion,
    ...(opts.bodySize !== undefined ? { targetBytes: opts.bodySize } : { topics: opts.topics ?? 1 }),
  });
  const identity: BrokerIdentity = {
    brokerName: opts.brokerName ?? "broker-a",
    clusterName: opts.clusterName ?? "DefaultCluster",
    brokerAddr: opts.brokerAddr ?? "127.0.0.1:10911",
    haServerAddr: (opts.brokerAddr ?? "127.0.0.1:10911").replace(/:\d+$/, ":10912"),
    brokerId: opts.brokerId ?? 0,
  };

  // Header and bodyCrc32 once: the table does not change between periods (the opaque does).
  const registerCmd = registerBrokerRequest(identity, bytes, { version: ordinal, opaque: 0, compressed: opts.compressed ?? false });
  let opaque = opts.opaqueStart ?? 0;
  let channel: RemotingChannel | undefined;
  let clientReport: TuningReport | undefined;
  const pending = new Map<number, Pending>();
  const results: RegistrationResult[] = [];
  const runStart = performance.now();

  const newChannel = async (budgetMs: number): Promise<RemotingChannel> => {
    const c = await connectTuned(host, port, tuning, Math.max(1, budgetMs));
    clientReport ??= c.report;
    c.socket.setNoDelay(true);
    return new RemotingChannel(c.socket, {
      onFrame: (f, ch) => {
        const p = pending.get(f.header.opaque);
        if (p && p.channel === ch && (f.header.flag & 1) !== 0) {
          pending.delete(f.header.opaque);
          p.resolve(f);
        }
      },
      // A closed channel fails only its own requests (a channel closed after a timeout reports
      // its close later, when the next period's request is already waiting on a new one).
      onClose: (ch) => {
        for (const [o, p] of pending) {
          if (p.channel !== ch) continue;
          pending.delete(o);
          p.resolve(null);
        }
      },
    });
  };

  /**
   * invokeSync: the budget covers connect and the wait; null frame = closed before an answer.
   * `frame` is `cmd` encoded beforehand: RocketMQ builds the request (body, CRC) before the clock
   * starts and Netty's encoder costs it microseconds, while encoding 16 MB here costs ~100 ms.
   */
  const invokeSync = async (cmd: EncodeCommand, frame: Uint8Array, r: RegistrationResult, t0: number): Promise<StreamFrame | null | "timeout"> => {
    if (!channel || channel.closed) {
      r.new_connection = true;
      try {
        channel = await newChannel(timeoutMs);
      } catch (e) {
        r.error = (e as Error).message;
        return null;
      }
      r.connect_ms = round3(performance.now() - t0);
    }
    r.local_port = channel.socket.localPort ?? null;
    const left = timeoutMs - (performance.now() - t0);
    if (left <= 0) return "timeout";
    const ch = channel;
    const op = cmd.opaque!;
    const answer = new Promise<StreamFrame | null>((resolve) => pending.set(op, { opaque: op, channel: ch, resolve }));
    const n = ch.sendEncoded(frame);
    if (cmd.code === 103) r.frame_bytes = n;
    let timer: NodeJS.Timeout | undefined;
    // setTimeout can fire up to ~1 ms before performance.now() reaches the deadline: re-arm until it has.
    const deadline = t0 + timeoutMs;
    const timeout = new Promise<"timeout">((res) => {
      const arm = () => (timer = setTimeout(() => (performance.now() >= deadline ? res("timeout") : arm()), Math.max(0, deadline - performance.now())));
      arm();
    });
    const out = await Promise.race([answer, timeout]);
    clearTimeout(timer);
    if (out === "timeout") pending.delete(op);
    return out;
  };

  const finish = (r: RegistrationResult, t0: number, out: StreamFrame | null | "timeout") => {
    r.elapsed_ms = round3(performance.now() - t0);
    if (out === "timeout") {
      r.timed_out = true;
      if (closeIfTimeout && channel) {
        channel.close();
        channel = undefined;
        r.closed_after_timeout = true;
      }
    } else if (out === null) {
      r.error ??= "the connection closed before the response";
      channel = undefined;
    } else {
      r.response_code = out.header.code;
      r.remark = out.header.remark;
    }
  };

  for (let i = 0; i < count; i++) {
    if (opts.signal?.aborted) break;
    const due = runStart + i * periodMs;
    const wait = due - performance.now();
    if (wait > 0) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, wait);
        opts.signal?.addEventListener("abort", () => (clearTimeout(t), res()), { once: true });
      });
      if (opts.signal?.aborted) break;
    }
    const t0 = performance.now();
    const r: RegistrationResult = {
      index: i,
      code: 103,
      opaque: 0,
      started_ms: round3(t0 - runStart),
      connect_ms: null,
      elapsed_ms: 0,
      timeout_ms: timeoutMs,
      timed_out: false,
      response_code: null,
      remark: null,
      body_bytes: bytes.length,
      frame_bytes: 0,
      topics: body.topics.length,
      new_connection: false,
      closed_after_timeout: false,
      local_port: null,
    };
    if (!forceRegister) {
      // needRegister: QUERY_DATA_VERSION, its own invokeSync with the same timeout.
      const q = queryDataVersionRequest(identity, dataVersion, { version: ordinal, opaque: opaque++ });
      r.opaque = q.opaque!;
      const out = await invokeSync(q, encodeFrame(q), r, t0);
      if (out !== "timeout" && out !== null && out.header.extFields?.changed === "false") {
        r.code = 322;
        r.changed = false;
        finish(r, t0, out);
        results.push(r);
        opts.onRegistration?.(r);
        continue;
      }
      r.changed = true;
      if (out === "timeout" || out === null) {
        finish(r, t0, out);
        results.push(r);
        opts.onRegistration?.(r);
        continue;
      }
    }
    const cmd = { ...registerCmd, opaque: opaque++ };
    r.opaque = cmd.opaque;
    const frame = encodeFrame(cmd);
    // The registration's own clock: after QUERY_DATA_VERSION (if any) and after building the request.
    const t1 = performance.now();
    const out = await invokeSync(cmd, frame, r, t1);
    finish(r, t1, out);
    results.push(r);
    opts.onRegistration?.(r);
  }
  channel?.close();
  return {
    results,
    settings: { clientSocketSndBufSize: snd, clientSocketRcvBufSize: rcv, ...(clientReport ? { client: clientReport } : {}) },
    identity,
    body_bytes: bytes.length,
    topics: body.topics.length,
    timeout_ms: timeoutMs,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
