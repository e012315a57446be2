/**
 * @module report/sockets-json
 * `tcpwin sockets --json` written straight from the netlink reply bytes into one reused output
 * buffer: no object per socket, no 150 MB string, no UTF-8 re-encoding. At 100 k sockets this is
 * what lets tcpwin keep pace with ss, which prints less per socket.
 *
 * Contract: for every socket the bytes equal `socketJsonText()` (report/sockets) of the decoded
 * object — the same keys in the same order, a tcp_info field absent when the kernel did not
 * send it. test/kernel/sockets-json.test.ts checks that on the recorded replies.
 */
import type { DiagMsgView } from "../kernel/netlink.js";
import { formatEndpoint } from "../kernel/netlink.js";
import type { InodeOwners } from "../kernel/proc-fd.js";
import { commOf } from "../kernel/proc-fd.js";
import { TCP_INFO_BASE_FIELDS, TCP_INFO_LATER_FIELDS, TCPI_OPT } from "../kernel/tcp-info.js";
import { liveSocketFlags, type LiveSocketFacts, type MachineLimits } from "../diagnose/live-flags.js";
import { stateName } from "./sockets.js";
import { AF_INET } from "../kernel/uapi.js";

const enc = new TextEncoder();
const MAX_SAFE = 2 ** 53;
/** 2^64 − 1 as a double (what tcp-info's u64 read gives for ~0ULL) and its JSON text. */
const U64_MAX = 4294967295 + 4294967295 * 4294967296;
const U64_MAX_TEXT = enc.encode(String(U64_MAX));

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

/** A number as JSON writes it, at p (24 bytes of room); integers in [0, 2^53) without String(). */
function writeUint(buf: Uint8Array, p: number, n: number): number {
  if (n >= 0 && n < 4294967296 && n === Math.floor(n)) return writeU32(buf, p, n);
  if (n === U64_MAX) {
    // ~0ULL ("unlimited" max_pacing_rate): common, and String() of it is slow.
    for (let i = 0; i < U64_MAX_TEXT.length; i++) buf[p++] = U64_MAX_TEXT[i]!;
    return p;
  }
  if (n >= MAX_SAFE || n !== Math.floor(n) || n < 0) {
    const t = String(n);
    for (let i = 0; i < t.length; i++) buf[p++] = t.charCodeAt(i);
    return p;
  }
  // 2^32 ≤ n < 2^53: high and low halves in base 1e9.
  const hi = Math.floor(n / 1e9);
  const lo = n - hi * 1e9;
  p = writeU32(buf, p, hi);
  for (let d = 8, x = lo; d >= 0; d--, x = Math.floor(x / 10)) buf[p + d] = 48 + (x % 10);
  return p + 9;
}

/** Two ASCII digits per entry: "00".."99". */
const DIGITS2 = (() => {
  const t = new Uint8Array(200);
  for (let i = 0; i < 100; i++) {
    t[i * 2] = 48 + Math.floor(i / 10);
    t[i * 2 + 1] = 48 + (i % 10);
  }
  return t;
})();

/** Write a u32 in decimal at p; returns the new position. */
function writeU32(buf: Uint8Array, p: number, n: number): number {
  if (n < 10) {
    buf[p] = 48 + n;
    return p + 1;
  }
  if (n < 100) {
    buf[p] = DIGITS2[n * 2]!;
    buf[p + 1] = DIGITS2[n * 2 + 1]!;
    return p + 2;
  }
  const len = n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  let e = p + len;
  let x = n;
  while (x >= 100) {
    const q = Math.floor(x / 100);
    const r = (x - q * 100) * 2;
    buf[--e] = DIGITS2[r + 1]!;
    buf[--e] = DIGITS2[r]!;
    x = q;
  }
  if (x >= 10) {
    buf[--e] = DIGITS2[x * 2 + 1]!;
    buf[--e] = DIGITS2[x * 2]!;
  } else buf[--e] = 48 + x;
  return p + len;
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

// Code generation for the fixed parts of each object. A key's bytes become 8-byte stores of doubles
// whose bit patterns are the text (ASCII, padded with spaces: the top byte is < 0x7f, so never a
// NaN whose payload could change). The last store may run up to 7 bytes past the key: what follows
// overwrites them, and the room asked for has that slack.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
function keyStores(k: Uint8Array): string {
  let code = "";
  for (let i = 0; i < k.length; i += 8) {
    f64Bytes.fill(0x20);
    f64Bytes.set(k.subarray(i, i + 8));
    code += `out.setFloat64(p + ${i}, ${String(f64[0])}, true); `;
  }
  return `${code}p += ${k.length};\n`;
}
/** Slack past the written bytes that keyStores may touch. */
const KEY_SLACK = 8;

/**
 * The tcp_info part of an object (every base field, then the later fields the kernel sent, then
 * tcp_info_len) as one straight-line function generated from the field tables at load: each key's
 * bytes are one or two constant 8-byte stores, each value one DataView read and a digit writer
 * (kept small: V8 optimises a function only after running it a number of times that grows with
 * its bytecode size; byte-by-byte key stores made it 28 KB and it stayed unoptimised). That is ~80 of the
 * ~95 pairs of every socket; the generic per-field loop (a kind switch, a key copy loop and a call
 * per field) was the largest cost of `sockets --json` at 100 k sockets. Needs INFO_MAX_BYTES of
 * room at p; returns the new position.
 */
type InfoWriter = (buf: Uint8Array, out: DataView, p: number, dv: DataView, ia: number, il: number) => number;
const INFO_MAX_BYTES = (() => {
  let n = KEY("tcp_info_len").length + 24 + KEY_SLACK;
  for (const [name] of TCP_INFO_BASE_FIELDS) n += KEY(name).length + 24;
  for (const [name] of TCP_INFO_LATER_FIELDS) n += KEY(name).length + 24;
  return n;
})();
const writeTcpInfo: InfoWriter = (() => {
  const VALUE: Record<string, (off: number) => string> = {
    u8: (o) => `dv.getUint8(ia + ${o})`,
    u32: (o) => `dv.getUint32(ia + ${o}, true)`,
    lo4: (o) => `dv.getUint8(ia + ${o}) & 15`,
    hi4: (o) => `dv.getUint8(ia + ${o}) >>> 4`,
    bit0: (o) => `dv.getUint8(ia + ${o}) & 1`,
    bits12: (o) => `(dv.getUint8(ia + ${o}) >>> 1) & 3`,
  };
  let body = "";
  // Single digits (most counters of most sockets are 0) inline; the rest through writeU32 (a call:
  // the function is too big for V8 to inline 80 copies of it).
  const u32 = (value: string) => `p = writeU32(buf, p, ${value});\n`;
  for (const [name, off, kind] of TCP_INFO_BASE_FIELDS) body += keyStores(KEY(name)) + u32(VALUE[kind]!(off));
  body += "later: {\n";
  for (const [name, off, size] of TCP_INFO_LATER_FIELDS) {
    // Fields are in offset order: the first one past the length ends the list.
    body += `if (${off + size} > il) break later;\n` + keyStores(KEY(name));
    if (size === 8) {
      body += `lo = dv.getUint32(ia + ${off}, true); hi = dv.getUint32(ia + ${off + 4}, true);\n`;
      body += `if (hi !== 0) p = writeUint(buf, p, lo + hi * 4294967296); else p = writeU32(buf, p, lo);\n`;
    } else body += u32(size === 4 ? `dv.getUint32(ia + ${off}, true)` : `dv.getUint16(ia + ${off}, true)`);
  }
  body += "}\n" + keyStores(KEY("tcp_info_len")) + "return writeU32(buf, p, il);\n";
  const make = new Function("writeU32", "writeUint", `return function writeTcpInfo(buf, out, p, dv, ia, il) {\nlet lo = 0, hi = 0, v = 0;\n${body}};`) as (
    u32: typeof writeU32,
    uint: typeof writeUint,
  ) => InfoWriter;
  return make(writeU32, writeUint);
})();
const SKMEM_KEYS = ["rmem_alloc", "rcvbuf", "wmem_alloc", "sndbuf", "fwd_alloc", "wmem_queued", "optmem", "backlog", "drops"].map((k, i) => enc.encode(`${i === 0 ? "" : ","}"${k}":`));
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

/**
 * The queues, timer, cookie and skmem part of an object, generated like writeTcpInfo (the same
 * bytes the per-pair calls wrote). Needs TAIL_MAX_BYTES of room at p.
 */
type TailWriter = (buf: Uint8Array, out: DataView, p: number, rq: number, wq: number, timer: number, retrans: number, cookie: number, dv: DataView, skAt: number, nSk: number) => number;
const TAIL_MAX_BYTES = [K.rqueue, K.wqueue, K.timer, K.retransTimer, K.cookie, K.skmem, ...SKMEM_KEYS].reduce((n, k) => n + k.length + 24, 1 + KEY_SLACK);
const writeTail: TailWriter = (() => {
  let body = "";
  body += keyStores(K.rqueue) + "p = writeU32(buf, p, rq);\n";
  body += keyStores(K.wqueue) + "p = writeU32(buf, p, wq);\n";
  body += keyStores(K.timer) + "p = writeU32(buf, p, timer);\n";
  body += keyStores(K.retransTimer) + "p = writeU32(buf, p, retrans);\n";
  body += keyStores(K.cookie) + "p = writeUint(buf, p, cookie);\n";
  body += "if (nSk > 0) {\n" + keyStores(K.skmem) + "sk: {\n";
  SKMEM_KEYS.forEach((k, i) => {
    body += `if (nSk <= ${i}) break sk;\n` + keyStores(k) + `p = writeU32(buf, p, dv.getUint32(skAt + ${i * 4}, true));\n`;
  });
  body += "}\nbuf[p++] = 125;\n}\nreturn p;\n";
  const make = new Function("writeU32", "writeUint", `return function writeTail(buf, out, p, rq, wq, timer, retrans, cookie, dv, skAt, nSk) {\n${body}};`) as (
    u32: typeof writeU32,
    uint: typeof writeUint,
  ) => TailWriter;
  return make(writeU32, writeUint);
})();

const congJson = new Map<string, Uint8Array>();

/** Per-run state: owner map, machine limits for flags, one facts object reused for every socket. */
export class SocketJsonWriter {
  private readonly facts: LiveSocketFacts = { state: "" };
  count = 0;
  constructor(
    readonly out: ByteSink,
    readonly machine: MachineLimits,
    readonly owners: InodeOwners | undefined,
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
      const pid = inode === 0 ? undefined : this.owners.owner.get(inode);
      if (pid !== undefined) {
        o.bytes(K.pid);
        o.uint(pid);
        const more = this.owners.shared.get(inode);
        if (more) {
          o.bytes(K.pids);
          o.ascii(JSON.stringify([pid, ...more]));
        }
        const comm = commOf(pid);
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

