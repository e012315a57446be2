/**
 * @module protocols/rocketmq/exchange-tracker
 * The "rocketmq" StreamFactory (tcp/stream): recognises RocketMQ remoting on any port by frame
 * sanity, decodes both directions with a FrameStream each, and pairs frames into exchanges by
 * `opaque` (a request from one side, a frame with the response flag from the other: RocketMQ's
 * `NettyRemotingAbstract` copies the request's opaque into the response). Either side may send
 * requests (a broker asks a producer CHECK_TRANSACTION_STATE), so matching is per direction.
 *
 * Recognition: the first frame (its header, for a frame longer than the undecided budget) of
 * either direction must decode — length ≤ frameMaxLength,
 * serialize type 0/1, header inside the frame, a JSON header with an integer "code" or a binary
 * header whose lengths add up — and look like a command (flag uses only the response/oneway bits,
 * a known language). TLS (first byte 0x16: a length of ~369 MB) and HTTP ("GET " = 1.2 GB) fail
 * the length check at once and the flow is released. A connection first seen mid-stream (no SYN)
 * may start inside a frame: then the decoder resynchronises within the undecided budget before
 * it decides. A HAProxy PROXY header (v1 line or v2 block) before the first frame, which 5.x
 * servers accept, is passed over and named in `proxy_header`.
 *
 * Timing (ns from the capture's first packet, as tcp/stream gives them): a request's first and
 * last byte, when the peer acknowledged its last byte (onAck), the response's first and last byte.
 * `latency_us` is response last byte − request first byte: what `invokeSync` waits for, the send
 * time included (its timeout counts from before the write). `timed_out` compares it with the
 * timeout (3000 ms unless told); with no response it is true once the capture saw the connection
 * that long after the request began, null when it ended sooner. Oneway requests never time out.
 *
 * A frame the capture or the connection ended inside still counts: a request is an exchange with
 * `request_complete: false` (the size its header announced, the bytes seen and acknowledged) —
 * the incident's timed-out registrations look exactly like that, the broker's FIN right after —
 * and a response completes its exchange with `response_complete: false`.
 *
 * Gaps: inside a body they cost only that body (the length still gives the next boundary);
 * over a boundary the stream resynchronises at the next plausible frame (`resumed_at`,
 * `skipped_bytes` on the error), or, after RESYNC_SCAN_MAX bytes without one, marks the rest of
 * that direction undecodable (`undecodable[dir]`).
 */
import { StreamClaim, type StreamDir, type StreamFactory, type StreamHandler, type StreamInfo } from "../../tcp/stream.js";
import { FrameStream, type StreamError, type StreamEvent, type StreamFrame } from "./frame-stream.js";
import { FLAG_ONEWAY, FLAG_RESPONSE, SerializeType } from "./frame.js";
import { LANGUAGE_NAMES, RequestCode, registerBrokerTimeoutMs, requestCodeName, responseCodeName, versionName } from "./codes.js";
import { countRegisterBodyTopics, decodeRegisterBrokerBody, looksZlib, type BodyFormat } from "./register-broker.js";
import { rocketmqCrc32 } from "./crc32.js";

/** invokeSync's timeout in the incident (and `--timeout`'s default). */
export const DEFAULT_TIMEOUT_MS = 3000;
/** DefaultMQPushConsumerImpl.CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND: a suspended (long-polling) pull's timeout. */
export const PULL_SUSPEND_TIMEOUT_MS = 30000;
/** Frame headers remembered for `--packets` between two packetFields() calls. */
const MAX_MARKS = 2 * 64;
/** Errors kept per connection; the rest are counted in `errors_dropped`. */
export const MAX_ERRORS_PER_CONNECTION = 64;

/** REGISTER_BROKER's body, decoded (requests only). */
export interface RegisterBrokerSummary {
  /** Topics in the topic config table. */
  topics: number;
  /** What the bytes are (sniffed from the first two), whatever the header's `compressed` says; null if neither. */
  body_format: BodyFormat | null;
  /** The header's `compressed` field ("true"/"false"), null if absent. */
  compressed_flag: boolean | null;
  /** The flag and the bytes disagree (5.x's compressedRegister caveat). */
  flag_mismatch: boolean;
  /** `bodyCrc32` from the header (0 = not checked by the name server), null if absent. */
  body_crc32: number | null;
  /** UtilAll.crc32 over the body as captured; null when bytes are missing. */
  computed_crc32: number | null;
  /** Header CRC non-zero and equal to the computed one; null when it cannot be said (CRC 0/absent, bytes missing). */
  crc_ok: boolean | null;
  /** Why the body did not decode (then `topics` is 0). */
  decode_error?: string;
}

/**
 * One request and its response. Request fields are null for a response whose request the capture
 * did not show; response fields null when none came (yet).
 */
export interface RocketmqExchange {
  /** StreamDir of the request's sender (of the response's receiver when the request was not seen). */
  dir: StreamDir;
  opaque: number;
  code: number | null;
  /** The request code's name as the sender's version knows it (requestCodeName). */
  name: string | null;
  /** The request's flag (bit 1 = oneway). */
  flag: number | null;
  oneway: boolean;
  version: number | null;
  version_name: string | null;
  language: string | null;
  serialize_type: "JSON" | "ROCKETMQ" | null;
  /** Request header fields (topic, brokerName, …). */
  ext_fields: Record<string, string> | null;
  /** Frame sizes on the wire, length prefix included (deepflow's captured_*_byte). */
  request_bytes: number | null;
  request_body_bytes: number | null;
  /** Stream offset (of `dir`) of the request's first byte. */
  request_offset: number | null;
  /** Capture frame numbers of the packets carrying the request's first and last byte. */
  request_frame: number | null;
  request_last_frame: number | null;
  request_first_ns: number | null;
  request_last_ns: number | null;
  /** When the peer acknowledged the request's last byte; null if no such ACK was seen. */
  request_acked_ns: number | null;
  /** Request body bytes missing from the capture. */
  request_gap_bytes: number;
  /**
   * False when the capture (or the connection) ended before the request's last byte: then
   * `request_bytes` is the size its header announced, `request_bytes_seen` what arrived, and
   * `request_last_*` the latest byte seen.
   */
  request_complete: boolean;
  request_bytes_seen: number | null;
  /** Bytes of the request the peer acknowledged by the end of the capture. */
  request_bytes_acked: number | null;
  response_code: number | null;
  response_name: string | null;
  response_remark: string | null;
  response_flag: number | null;
  response_version: number | null;
  response_version_name: string | null;
  response_language: string | null;
  response_ext_fields: Record<string, string> | null;
  response_bytes: number | null;
  response_body_bytes: number | null;
  response_offset: number | null;
  response_frame: number | null;
  response_last_frame: number | null;
  response_first_ns: number | null;
  response_last_ns: number | null;
  /** False when the capture ended inside the response (sizes and times as for the request); null without one. */
  response_complete: boolean | null;
  /** Only when `response_complete` is false: the response bytes that arrived. */
  response_bytes_seen?: number;
  /** Response last byte − request first byte, µs (null without both). */
  latency_us: number | null;
  /** Response first byte − request last byte, µs: the responder's share plus one way back. */
  response_wait_us: number | null;
  /** The timeout `timed_out` was judged against. */
  timeout_ms: number;
  /** true: latency (or wait so far) beyond the timeout; false: within it, or oneway; null: cannot tell. */
  timed_out: boolean | null;
  /** When the sender's version implies another timeout for this code (REGISTER_BROKER / QUERY_DATA_VERSION). */
  implied_timeout_ms?: number;
  timeout_note?: string;
  register_broker?: RegisterBrokerSummary;
}

export interface RocketmqError {
  dir: StreamDir;
  code: StreamError["code"];
  /** Stream offset of the problem in `dir`. */
  offset: number;
  message: string;
  /** Capture frame (and time, ns) of the packet where it was seen; 0 when not known (gaps). */
  frame: number;
  ts_ns: number;
  /** Where decoding resumed in `dir`, when it did. */
  resumed_at?: number;
  skipped_bytes?: number;
}

/** `ConnectionEvidence.app.rocketmq`. */
export interface RocketmqResult {
  exchanges: RocketmqExchange[];
  errors: RocketmqError[];
  errors_dropped: number;
  /** Frames decoded per StreamDir. */
  frames: [number, number];
  /** A direction given up on (no frame boundary found after a problem). */
  undecodable: [boolean, boolean];
  /** FIN/RST seen, in order ("end" = capture ended). */
  closes: { dir: StreamDir; how: "fin" | "rst"; ts_ns: number }[];
  timeout_ms: number;
  /** A PROXY protocol header seen before the first frame: the v1 line, or "v2 (N bytes)". */
  proxy_header?: string;
}

export interface RocketmqFactoryOptions {
  /** invokeSync timeout to judge `timed_out` by (default 3000 ms). */
  timeoutMs?: number;
}

/** The factory to pass as `analyzeCapture(path, { protocols: [rocketmqFactory()] })`. */
export function rocketmqFactory(opts: RocketmqFactoryOptions = {}): StreamFactory {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    name: "rocketmq",
    accept: (info: StreamInfo) => new RocketmqHandler(info, timeoutMs),
  };
}

interface AckWait {
  end: number;
  ex: RocketmqExchange;
}

export class RocketmqHandler implements StreamHandler {
  private readonly streams: [FrameStream, FrameStream];
  private state: StreamClaim = StreamClaim.undecided;
  private readonly exchanges: RocketmqExchange[] = [];
  /** Requests awaiting a response, by opaque, per requester dir. */
  private readonly pending: [Map<number, RocketmqExchange>, Map<number, RocketmqExchange>] = [new Map(), new Map()];
  /**
   * Responses no pending request matched, by opaque, per requester dir. Reassembly can hand a
   * response over before its request: when the request came after a hole that only the response
   * packet's ACK declared lost, the response's own bytes go first. A request arriving later with
   * an earlier first-byte time takes such a response over.
   */
  private readonly orphans: [Map<number, RocketmqExchange>, Map<number, RocketmqExchange>] = [new Map(), new Map()];
  private readonly ackWait: [AckWait[], AckWait[]] = [[], []];
  private readonly ackHead = [0, 0];
  /** Highest offset of each dir the peer acknowledged. */
  private readonly ackedTo = [0, 0];
  private readonly errors: { dir: StreamDir; e: StreamError }[] = [];
  private errorsDropped = 0;
  private readonly closes: RocketmqResult["closes"] = [];
  private lastNs = 0;
  /** Sane frames decoded per dir. */
  private readonly frames: [number, number] = [0, 0];
  /** Frames that failed to decode or were not commands (gaps are not counted: they say nothing of the protocol). */
  private problems = 0;
  /** Headers read since the last packetFields(): dir, frame, dir, frame, … */
  private readonly marks: (StreamDir | StreamFrame)[] = [];
  /** A HAProxy PROXY header before the first frame (5.x accepts one), as text (v1) or its size (v2). */
  private proxyHeader: string | null = null;

  constructor(
    readonly info: StreamInfo,
    readonly timeoutMs: number,
  ) {
    const keepBody = (h: { code: number; flag: number }) => h.code === RequestCode.REGISTER_BROKER && (h.flag & FLAG_RESPONSE) === 0;
    const onHeader = (dir: StreamDir) => (f: StreamFrame) => {
      // Bounded whether or not anyone asks (packetFields is only called for --packets).
      if (this.marks.length >= MAX_MARKS) this.marks.length = 0;
      this.marks.push(dir, f);
    };
    this.streams = [new FrameStream((e) => this.onEvent(0, e), { keepBody, onHeader: onHeader(0) }), new FrameStream((e) => this.onEvent(1, e), { keepBody, onHeader: onHeader(1) })];
  }

  onData(dir: StreamDir, bytes: Uint8Array, offset: number, tsNs: number, frame: number): StreamClaim {
    if (this.state === StreamClaim.released) return this.state;
    if (tsNs > this.lastNs) this.lastNs = tsNs;
    const s = this.streams[dir];
    if (offset === 0 && s.offset === 0 && this.proxyHeader === null) {
      const n = proxyHeaderLength(bytes);
      if (n > 0 && s.skip(n)) {
        this.proxyHeader = bytes[0] === 0x50 ? LATIN1.decode(bytes.subarray(0, n)).trim() : `v2 (${n} bytes)`;
        if (n === bytes.length) return this.state;
        bytes = bytes.subarray(n);
        offset = n;
      }
    }
    if (offset > s.offset) s.gap(s.offset, offset - s.offset, tsNs, frame);
    else if (offset < s.offset) {
      // Already seen (the assembler trims overlaps; this guards a contract slip).
      const skip = s.offset - offset;
      if (skip >= bytes.length) return this.state;
      bytes = bytes.subarray(skip);
    }
    s.push(bytes, tsNs, frame);
    if (this.state === StreamClaim.undecided) this.decide();
    return this.state;
  }

  /** Claim on the first sane frame; release when a direction's first bytes are not a frame. */
  private decide(): void {
    // A big first frame (REGISTER_BROKER) outlasts the undecided budget: its header is enough.
    const p0 = this.streams[0].partial, p1 = this.streams[1].partial;
    if (this.frames[0] + this.frames[1] > 0 || (p0 !== null && sane(p0)) || (p1 !== null && sane(p1))) {
      this.state = StreamClaim.claimed;
      return;
    }
    // With the SYN seen, each direction starts at a frame boundary: a first error is not RocketMQ.
    // Without it, the first bytes may be mid-frame: let the resync look further (bounded by the
    // assembler's undecided budget).
    if ((this.problems > 0 && this.info.handshakeSeen) || this.streams[0].dead || this.streams[1].dead) this.state = StreamClaim.released;
  }

  /**
   * `--packets`: Wireshark's rocketmq.* names for the frames whose header was read in this packet
   * (one value each, or a list when several frames began in it).
   */
  packetFields(_frame: number): Record<string, unknown> | null {
    const m = this.marks;
    if (m.length === 0 || this.state !== StreamClaim.claimed) {
      m.length = 0;
      return null;
    }
    const cols: Record<string, unknown[]> = { "rocketmq.code": [], "rocketmq.name": [], "rocketmq.opaque": [], "rocketmq.flag": [], "rocketmq.response": [], "rocketmq.length": [], "rocketmq.version": [], "rocketmq.serialize_type": [] };
    for (let i = 0; i < m.length; i += 2) {
      const f = m[i + 1] as StreamFrame;
      const h = f.header;
      const response = (h.flag & FLAG_RESPONSE) !== 0;
      cols["rocketmq.code"]!.push(h.code);
      cols["rocketmq.name"]!.push(response ? responseCodeName(h.code, h.version) : requestCodeName(h.code, h.version));
      cols["rocketmq.opaque"]!.push(h.opaque);
      cols["rocketmq.flag"]!.push(h.flag);
      cols["rocketmq.response"]!.push(response);
      cols["rocketmq.length"]!.push(f.frameBytes);
      cols["rocketmq.version"]!.push(h.version);
      cols["rocketmq.serialize_type"]!.push(f.serializeType === SerializeType.JSON ? "JSON" : "ROCKETMQ");
    }
    m.length = 0;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(cols)) out[k] = v.length === 1 ? v[0] : v;
    return out;
  }

  onGap(dir: StreamDir, at: number, bytes: number, tsNs: number): void {
    if (this.state === StreamClaim.released) return;
    if (tsNs > this.lastNs) this.lastNs = tsNs;
    this.streams[dir].gap(at, bytes, tsNs, 0);
  }

  onAck(dir: StreamDir, offset: number, tsNs: number): void {
    if (tsNs > this.lastNs) this.lastNs = tsNs;
    if (offset > this.ackedTo[dir]!) this.ackedTo[dir] = offset;
    const q = this.ackWait[dir];
    let h = this.ackHead[dir]!;
    while (h < q.length && q[h]!.end <= offset) {
      q[h]!.ex.request_acked_ns ??= tsNs;
      h++;
    }
    if (h > 1024 && h * 2 > q.length) {
      q.splice(0, h);
      h = 0;
    }
    this.ackHead[dir] = h;
  }

  onClose(dir: StreamDir, how: "fin" | "rst" | "end", tsNs: number): void {
    if (tsNs > this.lastNs) this.lastNs = tsNs;
    if (how !== "end" && this.state !== StreamClaim.released) this.closes.push({ dir, how, ts_ns: tsNs });
  }

  private onEvent(dir: StreamDir, ev: StreamEvent): void {
    if (ev.kind === "error") {
      if (ev.error.code !== "gap") this.problems++;
      if (this.errors.length < MAX_ERRORS_PER_CONNECTION) this.errors.push({ dir, e: ev.error });
      else this.errorsDropped++;
      return;
    }
    const f = ev.frame;
    if (!sane(f)) {
      // Decodes, but not as a command would: count it as a problem (and, undecided, not a claim).
      this.onEvent(dir, { kind: "error", error: { code: "not_a_command", offset: f.offset, message: `frame at stream offset ${f.offset}: flag ${f.header.flag} / language ${f.header.language} is not a remoting command`, frame: f.firstFrame, tsNs: f.firstTsNs } });
      return;
    }
    this.frames[dir]++;
    if ((f.header.flag & FLAG_RESPONSE) !== 0) this.response(dir, f);
    else this.request(dir, f);
  }

  private request(dir: StreamDir, f: StreamFrame): void {
    const ex = this.buildRequest(dir, f, true);
    const h = f.header;
    const oneway = ex.oneway;
    this.exchanges.push(ex);
    this.ackWait[dir].push({ end: f.offset + f.frameBytes, ex });
    const orphan = oneway ? undefined : this.orphans[dir].get(h.opaque);
    if (orphan !== undefined && orphan.response_first_ns! >= f.firstTsNs) {
      this.orphans[dir].delete(h.opaque);
      this.exchanges.splice(this.exchanges.lastIndexOf(orphan), 1);
      for (const k of RESPONSE_KEYS) (ex as unknown as Record<string, unknown>)[k] = orphan[k];
      this.timing(ex);
      return;
    }
    if (!oneway) {
      const p = this.pending[dir];
      const prev = p.get(h.opaque);
      if (prev !== undefined) prev.timed_out = null; // opaque reused before an answer: the old one stays unanswered
      p.set(h.opaque, ex);
    }
  }

  /** The exchange a request frame starts (no side effects: also used for a frame still arriving). */
  private buildRequest(dir: StreamDir, f: StreamFrame, complete: boolean): RocketmqExchange {
    const h = f.header;
    const oneway = (h.flag & FLAG_ONEWAY) !== 0;
    const ex = newExchange(dir, h.opaque, this.timeoutMs);
    ex.code = h.code;
    ex.name = requestCodeName(h.code, h.version);
    ex.flag = h.flag;
    ex.oneway = oneway;
    ex.version = h.version;
    ex.version_name = versionName(h.version);
    ex.language = h.language;
    ex.serialize_type = f.serializeType === SerializeType.JSON ? "JSON" : "ROCKETMQ";
    ex.ext_fields = h.extFields;
    ex.request_bytes = f.frameBytes;
    ex.request_body_bytes = f.bodyLen;
    ex.request_offset = f.offset;
    ex.request_frame = f.firstFrame;
    ex.request_last_frame = f.lastFrame;
    ex.request_first_ns = f.firstTsNs;
    ex.request_last_ns = f.lastTsNs;
    ex.request_gap_bytes = f.gapBytes;
    ex.request_complete = complete;
    ex.request_bytes_seen = complete ? f.frameBytes : this.streams[dir].partialBytes;
    if (oneway) ex.timed_out = false;
    const implied = h.code === RequestCode.REGISTER_BROKER || h.code === RequestCode.QUERY_DATA_VERSION ? registerBrokerTimeoutMs(h.version) : null;
    if (implied !== null && implied !== this.timeoutMs) {
      ex.implied_timeout_ms = implied;
      ex.timeout_note = `a ${versionName(h.version)} broker sends ${h.code === RequestCode.REGISTER_BROKER ? "REGISTER_BROKER" : "QUERY_DATA_VERSION"} with registerBrokerTimeoutMills ${implied} ms (${implied === 6000 ? "4.x" : "5.x"} default), not ${this.timeoutMs} ms, unless its config changes it`;
    }
    // A long-polling pull (PullSysFlag FLAG_SUSPEND) is held by the broker up to
    // suspendTimeoutMillis; the push consumer waits CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND (30 s).
    if (h.code === RequestCode.PULL_MESSAGE && (Number(h.extFields?.sysFlag ?? 0) & 2) !== 0 && this.timeoutMs !== PULL_SUSPEND_TIMEOUT_MS) {
      ex.implied_timeout_ms = PULL_SUSPEND_TIMEOUT_MS;
      ex.timeout_note = `a long-polling PULL_MESSAGE: the broker holds it up to suspendTimeoutMillis (${h.extFields?.suspendTimeoutMillis ?? "?"} ms) and the push consumer waits ${PULL_SUSPEND_TIMEOUT_MS} ms (CONSUMER_TIMEOUT_MILLIS_WHEN_SUSPEND), not ${this.timeoutMs} ms`;
    }
    if (h.code === RequestCode.REGISTER_BROKER) ex.register_broker = registerSummary(f, complete ? null : `only ${ex.request_bytes_seen} of ${f.frameBytes} bytes were seen (the connection or the capture ended first)`);
    return ex;
  }

  private response(dir: StreamDir, f: StreamFrame): void {
    const h = f.header;
    const reqDir = (1 - dir) as StreamDir;
    let ex = this.pending[reqDir].get(h.opaque);
    if (ex !== undefined) this.pending[reqDir].delete(h.opaque);
    else {
      ex = newExchange(reqDir, h.opaque, this.timeoutMs);
      this.exchanges.push(ex);
      this.orphans[reqDir].set(h.opaque, ex);
    }
    fillResponse(ex, f, true);
    this.timing(ex);
  }

  private timing(ex: RocketmqExchange): void {
    if (ex.request_first_ns === null || ex.response_last_ns === null || ex.response_complete !== true) return;
    ex.latency_us = (ex.response_last_ns - ex.request_first_ns) / 1000;
    ex.response_wait_us = (ex.response_first_ns! - ex.request_last_ns!) / 1000;
    ex.timed_out = ex.latency_us > ex.timeout_ms * 1000;
  }

  /**
   * Frames the capture ended inside: a request becomes an exchange with `request_complete: false`;
   * a response completes its request's exchange with `response_complete: false` (copies: the
   * tracked state is left as it is, so result() can be asked again). A header cut short is an error.
   */
  private unfinished(): { exchanges: RocketmqExchange[]; replaced: Map<RocketmqExchange, RocketmqExchange>; errors: RocketmqError[] } {
    const exchanges: RocketmqExchange[] = [];
    const replaced = new Map<RocketmqExchange, RocketmqExchange>();
    const errors: RocketmqError[] = [];
    for (const dir of [0, 1] as const) {
      const s = this.streams[dir];
      const p = s.partial;
      if (p !== null && sane(p)) {
        if ((p.header.flag & FLAG_RESPONSE) === 0) exchanges.push(this.buildRequest(dir, p, false));
        else {
          const req = this.pending[(1 - dir) as StreamDir].get(p.header.opaque);
          const ex = req !== undefined ? { ...req } : newExchange((1 - dir) as StreamDir, p.header.opaque, this.timeoutMs);
          fillResponse(ex, p, false, s.partialBytes);
          if (req !== undefined) replaced.set(req, ex);
          else exchanges.push(ex);
        }
      } else if (p === null && s.midFrame) {
        errors.push({ dir, code: "truncated", offset: s.partialOffset, message: `the capture ends inside the frame at stream offset ${s.partialOffset} after ${s.partialBytes} bytes, before its header was complete`, frame: 0, ts_ns: this.lastNs });
      }
    }
    return { exchanges, replaced, errors };
  }

  result(): RocketmqResult | null {
    if (this.state !== StreamClaim.claimed) return null;
    const u = this.unfinished();
    const exchanges = this.exchanges.map((e) => u.replaced.get(e) ?? e).concat(u.exchanges);
    for (const ex of exchanges) {
      if (ex.request_offset !== null) ex.request_bytes_acked = Math.min(ex.request_bytes!, Math.max(0, this.ackedTo[ex.dir]! - ex.request_offset));
      // Unanswered (or still answering): a timeout once the capture saw the connection that long.
      if (ex.oneway || ex.response_complete === true || ex.request_first_ns === null) continue;
      ex.timed_out = this.lastNs - ex.request_first_ns > ex.timeout_ms * 1e6 ? true : null;
    }
    const errors = this.errors.map(({ dir, e }) => {
      const r: RocketmqError = { dir, code: e.code, offset: e.offset, message: e.message, frame: e.frame, ts_ns: e.tsNs };
      if (e.resumedAt !== undefined) r.resumed_at = e.resumedAt;
      if (e.skippedBytes !== undefined) r.skipped_bytes = e.skippedBytes;
      return r;
    });
    return {
      exchanges,
      errors: errors.concat(u.errors),
      errors_dropped: this.errorsDropped,
      frames: [this.frames[0], this.frames[1]],
      undecodable: [this.streams[0].dead, this.streams[1].dead],
      closes: this.closes,
      timeout_ms: this.timeoutMs,
      ...(this.proxyHeader !== null ? { proxy_header: this.proxyHeader } : {}),
    };
  }
}

const LATIN1 = new TextDecoder("latin1");
const PROXY_V2_SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

/**
 * Length of a PROXY protocol header (haproxy.org proxy-protocol.txt) at the start of `b`: v1 is a
 * "PROXY …\r\n" line of at most 107 bytes, v2 a 12-byte signature, version/command, family and a
 * 16-bit length. 0 when there is none (or it does not end within this chunk).
 */
export function proxyHeaderLength(b: Uint8Array): number {
  if (b.length >= 8 && b[0] === 0x50 && LATIN1.decode(b.subarray(0, 6)) === "PROXY ") {
    for (let i = 6; i + 1 < Math.min(b.length, 107); i++) if (b[i] === 0x0d && b[i + 1] === 0x0a) return i + 2;
    return 0;
  }
  if (b.length >= 16 && PROXY_V2_SIG.every((x, i) => b[i] === x)) {
    const n = 16 + ((b[14]! << 8) | b[15]!);
    return n <= b.length ? n : 0;
  }
  return 0;
}

/** A command as RocketMQ sends them: only the response/oneway flag bits, a language it knows. */
function sane(f: StreamFrame): boolean {
  const h = f.header;
  if ((h.flag & ~(FLAG_RESPONSE | FLAG_ONEWAY)) !== 0) return false;
  return f.serializeType === SerializeType.JSON || LANGUAGE_NAMES.includes(h.language);
}

function fillResponse(ex: RocketmqExchange, f: StreamFrame, complete: boolean, seen = f.frameBytes): void {
  const h = f.header;
  ex.response_code = h.code;
  ex.response_name = responseCodeName(h.code, h.version);
  ex.response_remark = h.remark;
  ex.response_flag = h.flag;
  ex.response_version = h.version;
  ex.response_version_name = versionName(h.version);
  ex.response_language = h.language;
  ex.response_ext_fields = h.extFields;
  ex.response_bytes = f.frameBytes;
  ex.response_body_bytes = f.bodyLen;
  ex.response_offset = f.offset;
  ex.response_frame = f.firstFrame;
  ex.response_last_frame = f.lastFrame;
  ex.response_first_ns = f.firstTsNs;
  ex.response_last_ns = f.lastTsNs;
  ex.response_complete = complete;
  if (!complete) ex.response_bytes_seen = seen;
}

const RESPONSE_KEYS = [
  "response_code", "response_name", "response_remark", "response_flag", "response_version", "response_version_name", "response_language",
  "response_ext_fields", "response_bytes", "response_body_bytes", "response_offset", "response_frame", "response_last_frame",
  "response_first_ns", "response_last_ns", "response_complete",
] as const satisfies readonly (keyof RocketmqExchange)[];

/**
 * An exchange with every field present, in one fixed order (one object shape for all of them,
 * which keeps V8 on its fast path; a spread of defaults made each exchange a dictionary).
 */
function newExchange(dir: StreamDir, opaque: number, timeoutMs: number): RocketmqExchange {
  return {
    dir, opaque, code: null, name: null, flag: null, oneway: false, version: null, version_name: null, language: null, serialize_type: null, ext_fields: null,
    request_bytes: null, request_body_bytes: null, request_offset: null, request_frame: null, request_last_frame: null, request_first_ns: null,
    request_last_ns: null, request_acked_ns: null, request_gap_bytes: 0, request_complete: false, request_bytes_seen: null, request_bytes_acked: null,
    response_code: null, response_name: null, response_remark: null, response_flag: null, response_version: null, response_version_name: null,
    response_language: null, response_ext_fields: null, response_bytes: null, response_body_bytes: null, response_offset: null, response_frame: null,
    response_last_frame: null, response_first_ns: null, response_last_ns: null, response_complete: null,
    latency_us: null, response_wait_us: null, timeout_ms: timeoutMs, timed_out: null,
  };
}

/** `incomplete`: why the body cannot be decoded yet (the capture ended inside it), else null. */
function registerSummary(f: StreamFrame, incomplete: string | null): RegisterBrokerSummary {
  const ext = f.header.extFields ?? {};
  const cf = ext.compressed === undefined ? null : ext.compressed === "true";
  const crcText = ext.bodyCrc32;
  const crc = crcText === undefined || !/^-?\d+$/.test(crcText) ? null : Number(crcText);
  const s: RegisterBrokerSummary = { topics: 0, body_format: null, compressed_flag: cf, flag_mismatch: false, body_crc32: crc, computed_crc32: null, crc_ok: null };
  if (f.bodyLen === 0) {
    s.decode_error = "no body";
    return s;
  }
  // What the first bytes say, even when the rest cannot be read.
  const head = f.bodyHead;
  if (head.length > 0) {
    s.body_format = looksZlib(head) || (head.length === 1 && head[0] === 0x78) ? "zlib" : head[0] === 0x7b ? "json" : null;
    s.flag_mismatch = s.body_format !== null && cf !== null && (s.body_format === "zlib") !== cf;
  }
  if (incomplete !== null || f.body === null) {
    s.decode_error = incomplete ?? `${f.gapBytes} body bytes missing from the capture`;
    return s;
  }
  s.computed_crc32 = rocketmqCrc32(f.body);
  if (crc !== null && crc !== 0) s.crc_ok = crc === s.computed_crc32;
  // JSON: count the topics in one pass (a full parse of 2 MB costs ~100 ms a registration).
  const n = s.body_format === "json" ? countRegisterBodyTopics(f.body) : null;
  if (n !== null) {
    s.topics = n;
    return s;
  }
  const d = decodeRegisterBrokerBody(f.body, cf === true);
  if (!d.ok) {
    s.decode_error = d.error.message;
    return s;
  }
  s.topics = d.value.body.topics.length;
  s.body_format = d.value.format;
  s.flag_mismatch = d.value.flagMismatch;
  return s;
}

/** A capture frame that carries a remoting frame's first byte (for `--packets`). */
export interface RocketmqFrameMark {
  /** 1-based capture frame number. */
  frame: number;
  dir: StreamDir;
  kind: "request" | "response";
  /** Stream offset of the remoting frame in `dir`. */
  offset: number;
  /** Request code, or the response's code. */
  code: number;
  name: string;
  opaque: number;
  flag: number;
  /** The remoting frame's size on the wire. */
  bytes: number;
}

/** Every frame start of a connection's exchanges, in capture order. */
export function rocketmqFrameMarks(r: RocketmqResult): RocketmqFrameMark[] {
  const out: RocketmqFrameMark[] = [];
  for (const e of r.exchanges) {
    if (e.request_frame !== null) out.push({ frame: e.request_frame, dir: e.dir, kind: "request", offset: e.request_offset!, code: e.code!, name: e.name!, opaque: e.opaque, flag: e.flag!, bytes: e.request_bytes! });
    if (e.response_frame !== null) out.push({ frame: e.response_frame, dir: (1 - e.dir) as StreamDir, kind: "response", offset: e.response_offset!, code: e.response_code!, name: e.response_name!, opaque: e.opaque, flag: e.response_flag!, bytes: e.response_bytes! });
  }
  return out.sort((a, b) => a.frame - b.frame || a.dir - b.dir || a.offset - b.offset);
}
