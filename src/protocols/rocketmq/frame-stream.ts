/**
 * @module protocols/rocketmq/frame-stream
 * Frames out of one direction of a byte stream, fed in chunks that may split anywhere (what TCP
 * reassembly or a socket hands over). Only the prefix and header are buffered; a body is either
 * copied (when `keepBody` says so, e.g. REGISTER_BROKER for its CRC and topic table) or just
 * counted, so a 16 MiB frame costs nothing while it streams past.
 *
 * Bad bytes never throw: each problem is one `error` event with a stream offset. After a broken
 * frame or a gap that hides a frame boundary the stream **resynchronises**: it scans forward for
 * the next offset where a whole frame prefix and header decode (plausible length, serialize type
 * 0/1, header inside the frame, a header that parses). A gap inside a body needs no scan — the
 * frame's length says where the next one starts — and only marks that body incomplete. If no
 * boundary turns up within `RESYNC_SCAN_MAX` bytes the rest of the direction is reported
 * `undecodable` once and ignored.
 */
import { FRAME_MAX_LENGTH, FRAME_PREFIX, BINARY_HEADER_FIXED, SerializeType, decodeHeader, decodePrefix, type RemotingCommand, type RocketmqDecodeError } from "./frame.js";

/** How far resynchronisation scans before giving up on a direction. */
export const RESYNC_SCAN_MAX = 1 << 20;
/** A header this long is accepted while resynchronising only if it decodes; larger ones are not tried. */
const RESYNC_HEADER_MAX = 1 << 16;

export type FrameHeader = Omit<RemotingCommand, "body">;

/** One frame as the stream saw it. Offsets count bytes of this direction from its first byte. */
export interface StreamFrame {
  header: FrameHeader;
  serializeType: SerializeType;
  /** Stream offset of the frame's first byte (its length field). */
  offset: number;
  /** totalLen + 4: the bytes the frame occupies on the wire. */
  frameBytes: number;
  headerLen: number;
  bodyLen: number;
  /** The body when kept (and complete), else null. */
  body: Uint8Array | null;
  /** Up to the first 2 body bytes (to sniff zlib `78 DA` vs JSON `{`), even when the body is not kept. */
  bodyHead: Uint8Array;
  /** Body bytes the capture lost (a gap inside the body); 0 normally. */
  gapBytes: number;
  /** Time (ns) and 1-based capture frame number of the chunk that carried the first / last byte. */
  firstTsNs: number;
  firstFrame: number;
  lastTsNs: number;
  lastFrame: number;
}

export interface StreamError extends RocketmqDecodeError {
  /** Capture frame number and time of the chunk where the problem was seen (0 when not given). */
  frame: number;
  tsNs: number;
  /**
   * Where decoding resumed (the next frame boundary found), set on this same object when the
   * stream finds it; absent while still looking or when the direction became `undecodable`.
   */
  resumedAt?: number;
  /** Bytes skipped between the problem and `resumedAt` (gap bytes not counted). */
  skippedBytes?: number;
}

export type StreamEvent = { kind: "frame"; frame: StreamFrame } | { kind: "error"; error: StreamError };

export interface FrameStreamOptions {
  /** Decide, from the header, whether to copy the body. Default: keep every body. */
  keepBody?: (h: FrameHeader, bodyLen: number) => boolean;
  maxFrameLength?: number;
  /** Called as soon as a frame's header is read (before its body): `--packets` marks the packet. */
  onHeader?: (f: StreamFrame) => void;
}

const enum State {
  Head = 0, // collecting prefix + header into `head`
  Body = 1, // streaming the body
  Sync = 2, // looking for a frame boundary
  Dead = 3, // gave up: ignore the rest
}

export class FrameStream {
  /** Next stream offset expected. */
  offset = 0;
  private state = State.Head;
  private head = new Uint8Array(256);
  private headLen = 0;
  private headStart = 0;
  private headTs = 0;
  private headFrame = 0;
  /** Needed in `head` before the header can be decoded; 8 until the prefix is read. */
  private headNeed = FRAME_PREFIX;
  private cur: StreamFrame | null = null;
  private bodyLeft = 0;
  private bodyAt = 0;
  private syncScanned = 0;
  private pendingScan = false;
  private lastError: StreamError | null = null;
  private readonly keepBody: (h: FrameHeader, bodyLen: number) => boolean;
  private readonly maxFrameLength: number;
  private readonly onHeader: ((f: StreamFrame) => void) | null;
  frames = 0;
  errors = 0;

  constructor(private readonly sink: (ev: StreamEvent) => void, opts: FrameStreamOptions = {}) {
    this.keepBody = opts.keepBody ?? (() => true);
    this.maxFrameLength = opts.maxFrameLength ?? FRAME_MAX_LENGTH;
    this.onHeader = opts.onHeader ?? null;
  }

  /** True while no frame boundary is known (resynchronising or given up). */
  get lost(): boolean {
    return this.state === State.Sync || this.state === State.Dead;
  }
  get dead(): boolean {
    return this.state === State.Dead;
  }
  /**
   * The frame whose header decoded and whose body is still streaming, else null; its `lastTsNs`/
   * `lastFrame` are those of the latest byte so far. Do not keep it: it is the stream's own.
   */
  get partial(): StreamFrame | null {
    return this.state === State.Body ? this.cur : null;
  }
  /** Bytes of the partial frame seen so far (prefix, header and body, gaps counted). */
  get partialBytes(): number {
    return this.state === State.Body ? this.cur!.frameBytes - this.bodyLeft : this.state === State.Head ? this.headLen : 0;
  }
  /** Stream offset where the frame being read (a partial header too) starts; -1 between frames. */
  get partialOffset(): number {
    return this.midFrame ? this.headStart : -1;
  }
  /** A frame is partly read (prefix/header bytes buffered or body streaming). */
  get midFrame(): boolean {
    return (this.state === State.Head && this.headLen > 0) || this.state === State.Body;
  }

  push(chunk: Uint8Array, tsNs = 0, frame = 0): void {
    // Iterative on purpose: resynchronising hands buffered bytes back for a second pass, and a
    // recursive re-feed could nest once per bad byte.
    let b = chunk;
    let i = 0;
    for (;;) {
      while (i < b.length) {
        if (this.state === State.Dead) {
          this.offset += b.length - i;
          return;
        }
        if (this.state === State.Body) {
          const n = Math.min(this.bodyLeft, b.length - i);
          const f = this.cur!;
          if (this.bodyAt < 2 && f.gapBytes === 0) {
            const want = Math.min(2 - this.bodyAt, n);
            const h = new Uint8Array(f.bodyHead.length + want);
            h.set(f.bodyHead);
            h.set(b.subarray(i, i + want), f.bodyHead.length);
            f.bodyHead = h;
          }
          if (f.body !== null) f.body.set(b.subarray(i, i + n), this.bodyAt);
          f.lastTsNs = tsNs;
          f.lastFrame = frame;
          this.bodyAt += n;
          this.bodyLeft -= n;
          i += n;
          this.offset += n;
          if (this.bodyLeft === 0) this.finish(tsNs, frame);
        } else if (this.state === State.Head) {
          if (this.headLen === 0) this.markHead(tsNs, frame);
          const n = Math.min(this.headNeed - this.headLen, b.length - i);
          this.append(b, i, n);
          i += n;
          this.offset += n;
          if (this.headLen === this.headNeed) this.headStep(tsNs, frame);
        } else {
          if (this.headLen === 0) this.markHead(tsNs, frame);
          this.append(b, i, b.length - i);
          this.offset += b.length - i;
          i = b.length;
          this.pendingScan = true;
        }
      }
      if (this.state === State.Sync && this.pendingScan) {
        this.pendingScan = false;
        const rest = this.scan(tsNs, frame);
        if (rest !== null) {
          b = rest;
          i = 0;
          continue;
        }
      }
      return;
    }
  }

  private markHead(tsNs: number, frame: number): void {
    this.headStart = this.offset;
    this.headTs = tsNs;
    this.headFrame = frame;
  }

  /**
   * Pass over `n` bytes that are not frames but are known to end at a frame boundary (a PROXY
   * protocol header before the first frame). Only at a boundary; false (nothing done) otherwise.
   */
  skip(n: number): boolean {
    if (this.state !== State.Head || this.headLen !== 0) return false;
    this.offset += n;
    return true;
  }

  /** Bytes `[at, at+bytes)` never arrived. */
  gap(at: number, bytes: number, tsNs = 0, frame = 0): void {
    if (bytes <= 0) return;
    if (at !== this.offset) bytes += at - this.offset; // trust the caller's offsets: stretch the gap
    if (this.state === State.Dead) {
      this.offset += bytes;
      return;
    }
    if (this.state === State.Body && bytes < this.bodyLeft) {
      // Inside the body: the frame length still says where the next frame starts.
      const f = this.cur!;
      if (f.body !== null) f.body = null; // incomplete: not a body anyone should decode
      f.gapBytes += bytes;
      this.bodyAt += bytes;
      this.bodyLeft -= bytes;
      this.offset += bytes;
      return;
    }
    if (this.state === State.Body && bytes === this.bodyLeft) {
      const f = this.cur!;
      f.body = null;
      f.gapBytes += bytes;
      this.bodyLeft = 0;
      this.offset += bytes;
      this.finish(tsNs, frame);
      return;
    }
    const lostFrame = this.state === State.Body || (this.state === State.Head && this.headLen > 0);
    this.emitError("gap", this.offset, `${bytes} bytes missing from the capture at stream offset ${this.offset}${lostFrame ? " (a frame boundary is hidden in them)" : ""}; resynchronising`, tsNs, frame);
    this.cur = null;
    this.headLen = 0;
    this.headNeed = FRAME_PREFIX;
    this.offset += bytes;
    // A gap right at a frame boundary (not mid-frame) still hides whether frames began inside it.
    this.enterSync();
  }

  private enterSync(): void {
    this.state = State.Sync;
    this.syncScanned = 0;
  }

  private append(b: Uint8Array, i: number, n: number): void {
    if (this.headLen + n > this.head.length) {
      let cap = this.head.length * 2;
      while (cap < this.headLen + n) cap *= 2;
      const nb = new Uint8Array(cap);
      nb.set(this.head.subarray(0, this.headLen));
      this.head = nb;
    }
    const h = this.head;
    if (n <= 32) for (let k = 0, o = this.headLen; k < n; k++) h[o + k] = b[i + k]!;
    else h.set(b.subarray(i, i + n), this.headLen);
    this.headLen += n;
  }

  /** `head` holds `headNeed` bytes: decode the prefix, then the header. */
  private headStep(tsNs: number, frame: number): void {
    const p = decodePrefix(this.head.subarray(0, this.headLen), 0, this.maxFrameLength);
    if (!p.ok) {
      this.broken(p.error, tsNs, frame);
      return;
    }
    const need = FRAME_PREFIX + p.value.headerLen;
    if (this.headLen < need) {
      this.headNeed = need;
      return;
    }
    const h = decodeHeader(this.head.subarray(FRAME_PREFIX, need), p.value.serializeType);
    if (!h.ok) {
      this.broken({ ...h.error, offset: h.error.offset + FRAME_PREFIX }, tsNs, frame);
      return;
    }
    const bodyLen = p.value.totalLen - 4 - p.value.headerLen;
    const keep = bodyLen > 0 && this.keepBody(h.value, bodyLen);
    this.cur = {
      header: h.value,
      serializeType: p.value.serializeType,
      offset: this.headStart,
      frameBytes: p.value.totalLen + 4,
      headerLen: p.value.headerLen,
      bodyLen,
      body: keep ? new Uint8Array(bodyLen) : null,
      bodyHead: EMPTY,
      gapBytes: 0,
      firstTsNs: this.headTs,
      firstFrame: this.headFrame,
      lastTsNs: tsNs,
      lastFrame: frame,
    };
    this.headLen = 0;
    this.headNeed = FRAME_PREFIX;
    this.bodyLeft = bodyLen;
    this.bodyAt = 0;
    this.onHeader?.(this.cur);
    if (bodyLen === 0) this.finish(tsNs, frame);
    else this.state = State.Body;
  }

  private finish(tsNs: number, frame: number): void {
    const f = this.cur!;
    f.lastTsNs = tsNs;
    f.lastFrame = frame;
    this.cur = null;
    this.state = State.Head;
    this.frames++;
    this.sink({ kind: "frame", frame: f });
  }

  /** A frame that cannot be read: report it where it started, then look for the next one. */
  private broken(e: RocketmqDecodeError, tsNs: number, frame: number): void {
    const at = this.headStart;
    this.emitError(e.code, at + e.offset, `frame at stream offset ${at}: ${e.message}; resynchronising`, tsNs, frame, e);
    // Rescan from the byte after the bad frame's start: the bytes already buffered stay in `head`.
    this.head.copyWithin(0, 1, this.headLen);
    this.headLen -= 1;
    this.headStart += 1;
    this.headNeed = FRAME_PREFIX;
    this.enterSync();
    this.pendingScan = true;
  }

  private emitError(code: RocketmqDecodeError["code"], offset: number, message: string, tsNs: number, frame: number, e?: RocketmqDecodeError): void {
    this.errors++;
    const err: StreamError = { code, offset, message, frame, tsNs };
    this.lastError = err;
    if (e?.need !== undefined) err.need = e.need;
    if (e?.have !== undefined) err.have = e.have;
    this.sink({ kind: "error", error: err });
  }

  /**
   * Look in `head` for the first offset where a whole prefix + header decodes. Found: the bytes
   * from there on are returned to be fed again (state Head, `offset` rewound to them). Not found:
   * the scanned bytes are dropped, the tail that may still begin a frame is kept, null returned.
   */
  private scan(tsNs: number, frame: number): Uint8Array | null {
    const b = this.head;
    let p = 0;
    for (; p + FRAME_PREFIX <= this.headLen; p++) {
      const c = plausibleAt(b, p, this.headLen, this.maxFrameLength);
      if (c === Plausible.No) continue;
      if (c === Plausible.NeedMore) break;
      const rest = b.slice(p, this.headLen);
      const restStart = this.headStart + p;
      if (this.lastError !== null) {
        this.lastError.resumedAt = restStart;
        this.lastError.skippedBytes = this.syncScanned + p;
      }
      this.headLen = 0;
      this.headNeed = FRAME_PREFIX;
      this.state = State.Head;
      this.offset = restStart;
      return rest;
    }
    this.syncScanned += p;
    b.copyWithin(0, p, this.headLen);
    this.headLen -= p;
    this.headStart += p;
    if (this.syncScanned > RESYNC_SCAN_MAX || this.headLen > RESYNC_HEADER_MAX + FRAME_PREFIX) {
      this.state = State.Dead;
      this.emitError("undecodable", this.headStart, `no frame boundary within ${this.syncScanned} bytes: the rest of this direction (from stream offset ${this.headStart}) is not decoded`, tsNs, frame);
      this.headLen = 0;
    }
    return null;
  }
}

const EMPTY = new Uint8Array(0);

export const Plausible = { No: 0, NeedMore: 1, Yes: 2 } as const;
export type Plausible = (typeof Plausible)[keyof typeof Plausible];

/**
 * Whether a frame begins at `b[p]` (`n` bytes valid): prefix sane, header bounded, first header
 * byte right for its type, and — once all of it is there — the header decodes. Used to
 * recognise RocketMQ on any port and to resynchronise.
 */
export function plausibleAt(b: Uint8Array, p: number, n: number, maxFrameLength = FRAME_MAX_LENGTH): Plausible {
  if (n - p < FRAME_PREFIX) return Plausible.NeedMore;
  const pre = decodePrefix(b.subarray(p, n), 0, maxFrameLength);
  if (!pre.ok) return Plausible.No;
  const { serializeType, headerLen } = pre.value;
  if (headerLen > RESYNC_HEADER_MAX) return Plausible.No;
  if (serializeType === SerializeType.JSON) {
    if (headerLen < 10) return Plausible.No; // {"code":0} is the shortest header
    if (n - p > FRAME_PREFIX && b[p + FRAME_PREFIX] !== 0x7b) return Plausible.No;
  } else {
    if (headerLen < BINARY_HEADER_FIXED) return Plausible.No;
    if (n - p > FRAME_PREFIX + 2 && b[p + FRAME_PREFIX + 2]! > 31) return Plausible.No; // language code
  }
  if (n - p < FRAME_PREFIX + headerLen) return Plausible.NeedMore;
  const h = decodeHeader(b.subarray(p + FRAME_PREFIX, p + FRAME_PREFIX + headerLen), serializeType);
  return h.ok ? Plausible.Yes : Plausible.No;
}
