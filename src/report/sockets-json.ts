/**
 * @module report/sockets-json
 * `tcpwin sockets --json` written straight from the netlink reply bytes into one reused output
 * buffer: no object per socket, no 150 MB string, no UTF-8 re-encoding. At 100 k sockets this is
 * what lets tcpwin keep pace with ss, which prints less per socket.
 *
 * Contract: for every socket the bytes equal `socketJsonText()` (report/sockets) of the decoded
 * object — the same keys in the same order, a tcp_info field absent when the kernel did not
 * send it. test/kernel/sockets-json.test.ts checks that on the recorded replies.
 *
 * The tcp_info and tail parts of each object are straight-line code generated from the one
 * tcp_info table (sockets-json-tcp-info.gen.ts, scripts/gen-tcp-info.ts); owners come from the
 * OwnerLookup the caller passes (kernel/proc-fd), so nothing here reads /proc.
 */
import type { DiagMsgView } from "../kernel/netlink.js";
import type { OwnerLookup } from "../kernel/proc-fd.js";
import { AF_INET, formatEndpoint, stateName } from "../uapi/tcp-states.js";
import { TCPI_OPT } from "../uapi/tcp-info-fields.js";
import { liveSocketFlags, type LiveSocketFacts, type MachineLimits } from "../diagnose/live-flags.js";
import { writeU32, writeUint } from "./json-digits.js";
import { INFO_MAX_BYTES, TAIL_MAX_BYTES, writeTail, writeTcpInfo } from "./sockets-json-tcp-info.gen.js";

const enc = new TextEncoder();

/** A growable-by-flushing byte buffer; `flush` hands full chunks to the sink (e.g. writeSync). */
export class ByteSink {
  buf = new Uint8Array(1 << 20);
  /** A DataView of `buf` (always the current one): 8-byte stores of key text. */
  view = new DataView(this.buf.buffer);
  pos = 0;
  /** `handOff`: the sink keeps each flushed buffer (e.g. transfers it to another thread). */
  constructor(
    private readonly sink: (chunk: Uint8Array) => void,
    private readonly handOff = false,
  ) {}

  /** Make room for `n` bytes (flushing what is there). */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = new Uint8Array(n);
      this.view = new DataView(this.buf.buffer);
    }
  }
  flush(): void {
    if (this.pos > 0) {
      const size = this.buf.length; // read before the sink may transfer (detach) the buffer
      this.sink(this.buf.subarray(0, this.pos));
      if (this.handOff) {
        this.buf = new Uint8Array(size);
        this.view = new DataView(this.buf.buffer);
      }
    }
    this.pos = 0;
  }
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (this.pos + n > this.buf.length) this.room(n);
    const buf = this.buf;
    let p = this.pos;
    // Keys are short: a plain loop beats TypedArray.set's call overhead.
    if (n < 64) for (let i = 0; i < n; i++) buf[p++] = b[i]!;
    else {
      buf.set(b, p);
      p += n;
    }
    this.pos = p;
  }
  /** ASCII only (addresses, state names, keys); callers pass non-ASCII through `text`. */
  ascii(s: string): void {
    if (this.pos + s.length > this.buf.length) this.room(s.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }
  text(s: string): void {
    this.bytes(enc.encode(s));
  }
  /** A non-negative integer as JSON writes it. */
  uint(n: number): void {
    if (this.pos + 24 > this.buf.length) this.room(24);
    this.pos = writeUint(this.buf, this.pos, n);
  }
  /** `key` bytes then an integer: the common pair, one bounds check. */
  kv(key: Uint8Array, n: number): void {
    const kl = key.length;
    if (this.pos + kl + 24 > this.buf.length) this.room(kl + 24);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < kl; i++) buf[p++] = key[i]!;
    if (n >= 0 && n < 4294967296 && n === Math.floor(n)) {
      this.pos = writeU32(buf, p, n);
      return;
    }
    this.pos = writeUint(buf, p, n);
  }
}

/** "255.255.255.255:65535" */
const ENDPOINT_V4_MAX = 21;

/** `a.b.c.d:port` from the 4 address bytes at `at` (network order), as formatEndpoint writes it. */
function writeEndpointV4(buf: Uint8Array, p: number, dv: DataView, at: number, port: number): number {
  p = writeU32(buf, p, dv.getUint8(at));
  buf[p++] = 46;
  p = writeU32(buf, p, dv.getUint8(at + 1));
  buf[p++] = 46;
  p = writeU32(buf, p, dv.getUint8(at + 2));
  buf[p++] = 46;
  p = writeU32(buf, p, dv.getUint8(at + 3));
  buf[p++] = 58;
  return writeU32(buf, p, port);
}

const KEY = (name: string) => enc.encode(`,"${name}":`);

const K = {
  state: enc.encode('{"state":"'),
  local: enc.encode('","local":"'),
  peer: enc.encode('","peer":"'),
  inode: enc.encode('","inode":'),
  uid: KEY("uid"),
  pid: KEY("pid"),
  pids: KEY("pids"),
  comm: KEY("comm"),
  ownerUnknown: enc.encode(',"owner_unknown":true'),
  rb: KEY("rb"),
  tb: KEY("tb"),
  cong: KEY("cong"),
  shutdown: KEY("shutdown"),
  rqueue: KEY("rqueue"),
  wqueue: KEY("wqueue"),
  timer: KEY("timer"),
  retransTimer: KEY("retrans_timer_count"),
  cookie: KEY("cookie"),
  skmem: enc.encode(',"skmem":{'),
  flags: KEY("flags"),
};

const congJson = new Map<string, Uint8Array>();

/** Per-run state: owner map, machine limits for flags, one facts object reused for every socket. */
export class SocketJsonWriter {
  private readonly facts: LiveSocketFacts = { state: "" };
  count = 0;
  constructor(
    readonly out: ByteSink,
    readonly machine: MachineLimits,
    readonly owners: OwnerLookup | undefined,
  ) {}

  begin(): void {
    this.out.ascii("[");
  }
  end(): void {
    this.out.ascii(this.count === 0 ? "]\n" : "\n]\n");
    this.out.flush();
  }

  /** One socket, as socketJsonText would write it. */
  write(v: DiagMsgView): void {
    const o = this.out;
    const dv = v.dv;
    o.ascii(this.count === 0 ? "\n" : ",\n");
    this.count++;
    const family = v.family;
    const st = stateName(v.state);
    o.bytes(K.state);
    o.ascii(st);
    o.bytes(K.local);
    if (family === AF_INET) {
      // IPv4 endpoints straight from the message bytes (no address string per socket).
      o.room(2 * ENDPOINT_V4_MAX + K.peer.length);
      let p = writeEndpointV4(o.buf, o.pos, dv, v.o + 8, v.sport);
      const kp = K.peer;
      for (let i = 0; i < kp.length; i++) o.buf[p++] = kp[i]!;
      o.pos = writeEndpointV4(o.buf, p, dv, v.o + 24, v.dport);
    } else {
      o.ascii(formatEndpoint(family, v.src, v.sport));
      o.bytes(K.peer);
      o.ascii(formatEndpoint(family, v.dst, v.dport));
    }
    o.bytes(K.inode);
    const inode = v.inode;
    o.uint(inode);
    o.bytes(K.uid);
    o.uint(v.uid);
    if (this.owners) {
      const pid = inode === 0 ? undefined : this.owners.pidOf(inode);
      if (pid !== undefined) {
        o.bytes(K.pid);
        o.uint(pid);
        const more = this.owners.morePids(inode);
        if (more) {
          o.bytes(K.pids);
          o.ascii(JSON.stringify([pid, ...more]));
        }
        const comm = this.owners.commOf(pid);
        if (comm !== undefined) {
          o.bytes(K.comm);
          o.text(JSON.stringify(comm));
        }
      } else if (inode !== 0 && this.owners.unreadable > 0) o.bytes(K.ownerUnknown);
    }
    const nSk = v.skmemLen >>> 2;
    const rb = nSk > 1 ? dv.getUint32(v.skmemAt + 4, true) : undefined;
    const tb = nSk > 3 ? dv.getUint32(v.skmemAt + 12, true) : undefined;
    if (nSk > 0) {
      o.bytes(K.rb);
      o.uint(rb!);
      if (tb !== undefined) {
        o.bytes(K.tb);
        o.uint(tb);
      }
    }
    const ia = v.infoAt;
    const il = v.infoLen;
    if (il > 0) {
      o.room(INFO_MAX_BYTES);
      o.pos = writeTcpInfo(o.buf, o.view, o.pos, dv, ia, il);
    }
    const cong = v.cong;
    if (cong !== undefined) {
      let cj = congJson.get(cong);
      if (cj === undefined) congJson.set(cong, (cj = enc.encode(JSON.stringify(cong))));
      o.bytes(K.cong);
      o.bytes(cj);
    }
    if (v.shutdown >= 0) {
      o.bytes(K.shutdown);
      o.uint(v.shutdown);
    }
    o.room(TAIL_MAX_BYTES);
    o.pos = writeTail(o.buf, o.view, o.pos, v.rqueue, v.wqueue, v.timer, v.retrans, v.cookie, dv, v.skmemAt, nSk);
    // Flags: the same policy as the text table, from a reused facts object.
    const f = this.facts;
    f.state = st;
    f.rb = rb;
    f.tb = tb;
    f.rqueue = v.rqueue;
    f.drops = nSk > 8 ? dv.getUint32(v.skmemAt + 32, true) : undefined;
    if (il > 0) {
      f.snd_mss = dv.getUint32(ia + 16, true);
      f.rcv_mss = dv.getUint32(ia + 20, true);
      f.advmss = dv.getUint32(ia + 84, true);
      f.rtt = dv.getUint32(ia + 68, true);
      f.snd_wnd = il >= 232 ? dv.getUint32(ia + 228, true) : undefined;
      f.rcv_wnd = il >= 236 ? dv.getUint32(ia + 232, true) : undefined;
      const ws = dv.getUint8(ia + 6);
      f.snd_wscale = ws & 0x0f;
      f.rcv_wscale = ws >>> 4;
      const opt = dv.getUint8(ia + 5);
      f.wscale_ok = (opt & TCPI_OPT.WSCALE) !== 0;
      f.timestamps = (opt & TCPI_OPT.TIMESTAMPS) !== 0;
    } else {
      f.snd_mss = f.rcv_mss = f.advmss = f.rtt = f.snd_wnd = f.rcv_wnd = f.snd_wscale = f.rcv_wscale = undefined;
      f.wscale_ok = f.timestamps = undefined;
    }
    const flags = liveSocketFlags(f, this.machine);
    if (flags.length) {
      o.bytes(K.flags);
      o.text(JSON.stringify(flags));
    }
    o.ascii("}");
  }
}

