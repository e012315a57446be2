/**
 * Fuzz: a known random stream cut into random segments, then dropped, duplicated (re-cut at other
 * boundaries), reordered, truncated as by a snaplen, interleaved with ACKs from the peer, starting
 * at random sequence numbers (across 2^31 and 2^32), with or without a handshake and a FIN.
 * Asserts: no throw; offsets continue (data and gaps tile the stream from offset 0); every delivered
 * byte equals the original's byte there; the tiles reach exactly as far as the capture showed
 * (highest segment end, ACK or FIN); held data stays within its bounds; and when nothing could have
 * been given up (no ACKs, no snaplen, within the bounds) every byte any segment carried is
 * delivered, none reported missing. Bounded by FUZZ_SECONDS (default 4); FUZZ_CASE=<seed> replays one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from "../capture/packet.js";
import { mulberry32 as rng } from "../model/prng.js";
import { MAX_HELD_BYTES, MAX_HELD_CHUNKS } from "./reassembly.js";
import { StreamAssembler } from "./stream-assembler.js";
import { StreamClaim, type StreamDir, type StreamHandler } from "./stream.js";

/** Tiles direction 0 as delivered: -1 for a byte reported missing. */
class Tiles implements StreamHandler {
  out: number[] = [];
  closes: string[] = [];
  bad = "";
  onData(d: StreamDir, b: Uint8Array, off: number): StreamClaim {
    if (d !== 0) return StreamClaim.claimed;
    if (off !== this.out.length && !this.bad) this.bad = `data at ${off}, stream at ${this.out.length}`;
    for (let i = 0; i < b.length; i++) this.out.push(b[i]!);
    return StreamClaim.claimed;
  }
  onGap(d: StreamDir, at: number, n: number): void {
    if (d !== 0) return;
    if ((at !== this.out.length || n <= 0) && !this.bad) this.bad = `gap ${at}+${n}, stream at ${this.out.length}`;
    for (let i = 0; i < n; i++) this.out.push(-1);
  }
  onAck(): void {}
  onClose(d: StreamDir, how: string): void {
    this.closes.push(`${d} ${how}`);
  }
  result(): unknown {
    return null;
  }
}

interface Seg {
  start: number;
  len: number;
  cap: number;
  fin: boolean;
  /** An ACK from the peer instead of data: acknowledges up to `start`. */
  ack: boolean;
}

function runCase(seed: number): void {
  const r = rng(seed);
  const pick = (n: number) => Math.floor(r() * n);
  const mss = [1, 7, 100, 536, 1448, 9000][pick(6)]!;
  // At most a few thousand segments a case: many cases per second, the held bounds still reached.
  const L = Math.min(r() < 0.8 ? 1 + pick(40_000) : 1 + pick(400_000), mss * 3000);
  const data = new Uint8Array(L);
  for (let i = 0; i < L; i++) data[i] = pick(256);
  const isn = [pick(2 ** 32), (0xffffffff - pick(L + 10)) >>> 0, (0x7fffffff - pick(L + 10)) >>> 0][pick(3)]!;
  const handshake = r() < 0.6;
  const withAcks = r() < 0.5;
  const withSnaplen = r() < 0.4;
  const pDrop = [0, 0.02, 0.2][pick(3)]!;
  const pDup = [0, 0.05, 0.3][pick(3)]!;
  const reorder = [0, 3, 30][pick(3)]!;
  const withFin = r() < 0.5;

  // Cut, drop, duplicate (re-cut), reorder.
  const sched: Seg[] = [];
  for (let o = 0; o < L; ) {
    const len = Math.min(L - o, 1 + pick(mss));
    const cap = withSnaplen && r() < 0.5 ? pick(len + 1) : len;
    const fin = withFin && o + len === L;
    if (r() >= pDrop) sched.push({ start: o, len, cap, fin, ack: false });
    if (r() < pDup) {
      const s = Math.max(0, o - pick(mss));
      const e = Math.min(L, o + len + pick(mss));
      sched.push({ start: s, len: e - s, cap: e - s, fin: withFin && e === L, ack: false });
    }
    o += len;
  }
  if (withFin && r() < 0.3) sched.push({ start: L, len: 0, cap: 0, fin: true, ack: false });
  for (let i = 0; i < sched.length && reorder > 0; i++) {
    const j = Math.min(sched.length - 1, i + pick(reorder));
    [sched[i], sched[j]] = [sched[j]!, sched[i]!];
  }
  if (withAcks) {
    // ACKs for anything sent so far (the receiver may have got bytes the capture missed).
    let sentEnd = 0;
    for (let i = 0; i < sched.length; i++) {
      const s = sched[i]!;
      if (!s.ack) sentEnd = Math.max(sentEnd, s.start + s.len);
      if (r() < 0.2) sched.splice(++i, 0, { start: pick(sentEnd + 1), len: 0, cap: 0, fin: false, ack: true });
    }
  }

  const h = new Tiles();
  const sa = new StreamAssembler([h], ["fuzz"]);
  const buf = new Uint8Array(60 + 400_000 + 9000);
  const seqOf = (o: number) => (isn + 1 + o) >>> 0;
  let t = 0;
  let frame = 0;
  if (handshake) {
    sa.segment(0, isn, 0, TCP_SYN, buf, 0, 0, 0, ++t, ++frame);
    sa.segment(1, 777, seqOf(0), TCP_SYN | TCP_ACK, buf, 0, 0, 0, ++t, ++frame);
  }
  let base = handshake ? 0 : -1;
  let reach = 0;
  let sawFin = false;
  for (const s of sched) {
    if (s.ack) {
      sa.segment(1, 778, seqOf(s.start), TCP_ACK, buf, 0, 0, 0, ++t, ++frame);
      if (base >= 0) reach = Math.max(reach, s.start);
      continue;
    }
    buf.fill(0xcc, 0, 60 + s.len);
    buf.set(data.subarray(s.start, s.start + s.cap), 60);
    sa.segment(0, seqOf(s.start), 778, TCP_ACK | TCP_PSH | (s.fin ? TCP_FIN : 0), buf, 60, s.len, s.cap, ++t, ++frame);
    if (base < 0 && (s.len > 0 || s.fin)) base = s.start;
    if (base >= 0) reach = Math.max(reach, s.start + s.len);
    if (s.fin && base >= 0 && s.start + s.len >= base) sawFin = true;
    const half = sa.halves[0];
    assert.ok(half.heldBytes <= MAX_HELD_BYTES && half.heldChunks <= MAX_HELD_CHUNKS + 1, `held ${half.heldBytes} B in ${half.heldChunks} chunks`);
  }
  sa.end(++t);

  const where = `seed ${seed} (FUZZ_CASE=${seed}): L ${L} isn ${isn} handshake ${handshake} acks ${withAcks} snaplen ${withSnaplen} mss ${mss} drop ${pDrop} dup ${pDup} reorder ${reorder} fin ${withFin}`;
  assert.equal(h.bad, "", where);
  if (base < 0) {
    assert.equal(h.out.length, 0, where);
    return;
  }
  const expected = Math.max(0, reach - base);
  assert.equal(h.out.length, expected, `stream length: ${where}`);
  for (let i = 0; i < h.out.length; i++) {
    const b = h.out[i]!;
    if (b !== -1 && b !== data[base + i]) assert.fail(`byte ${i}: ${b} ≠ ${data[base + i]}: ${where}`);
  }
  if (!withAcks && !withSnaplen && sched.length < MAX_HELD_CHUNKS && L < MAX_HELD_BYTES) {
    const carried = new Uint8Array(L);
    for (const s of sched) carried.fill(1, s.start, s.start + s.len);
    for (let i = 0; i < h.out.length; i++) if (carried[base + i] && h.out[i] === -1) assert.fail(`byte ${i} carried but reported missing: ${where}`);
  }
  assert.equal(h.closes.at(-1), "0 end", where);
  assert.equal(h.closes.filter((c) => c === "0 fin").length, sawFin ? 1 : 0, `FIN closes: ${h.closes.join()}: ${where}`);
}

test("fuzz: random segment orders, duplicates, drops, snaplen cuts and ACKs of a known stream", () => {
  const only = process.env.FUZZ_CASE;
  const seconds = Number(process.env.FUZZ_SECONDS ?? 4);
  const start = Date.now();
  let cases = 0;
  for (let i = 0; ; i++) {
    runCase(only !== undefined ? Number(only) : 20261207 + i);
    cases++;
    if (only !== undefined || Date.now() - start > seconds * 1000) break;
  }
  console.log(`# reassembly fuzz: ${cases} cases in ${((Date.now() - start) / 1000).toFixed(1)} s`);
});
