/**
 * @module lab/link/forwarder-worker
 * The link emulator's data path, run in a worker thread so the main thread's event loop (child
 * processes, signals) never delays a packet. Two TUN fds, one FIFO ring per direction.
 *
 * Per packet, on arrival (read from the sender's TUN):
 *   loss:  a seeded PRNG draw < loss → dropped (counted; still captured when the capture point
 *          is the sending side, as a tap on that interface would see it);
 *   rate:  serialisation on a FIFO link: start = max(arrival, link free), free = start + len/rate;
 *          a backlog above queueBytes is a tail drop;
 *   delay: due = (rate ? free : arrival) + one-way delay.
 * Because the delay is constant per direction and the link is FIFO, due times are monotonic per
 * direction, so a ring suffices.
 *
 * Timing: the loop sleeps in ppoll(2) with a nanosecond timeout (timer slack set to 1 ns) until
 * `spinUs` before the earliest due time, then spins on performance.now() while still draining the
 * TUN fds, and writes each packet at its due time. setTimeout (≥1 ms granularity, +0.3 ms) or
 * Atomics.wait (+0.1 ms) alone would inflate a 0.5 ms RTT by 20–60 %.
 *
 * Hot loop allocation: none. Slots are Buffer views made once; the pcap writer reuses one buffer.
 * Control: Int32 shared words (CTRL_*): stop request, stopped (fds released), capture on. Delays:
 * Float64 shared [A→B, B→A] ms, read per packet, so the main thread can change them (calibration).
 * Stats: Float64 shared array (STAT_* indices).
 */
import { workerData, parentPort } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { errno, gettid, ppoll, prctl, read, sched_setaffinity, sched_setscheduler, write } from "../../kernel/libc.js";
import { PcapWriter } from "../../capture/pcap-writer.js";
import { CTRL_CAPTURE, CTRL_STOP, CTRL_STOPPED, STAT, STAT_STRIDE, type ForwarderConfig } from "./forwarder-types.js";
import { mulberry32 as makeRng } from "../../model/prng.js";
import { EAGAIN, POLLIN } from "../../kernel/uapi.js";

const PR_SET_TIMERSLACK = 29;
const SCHED_FIFO = 1;

const cfg = workerData as ForwarderConfig;
const ctrl = new Int32Array(cfg.ctrl);
const delays = new Float64Array(cfg.delays);
const stats = new Float64Array(cfg.stats);

class Direction {
  readonly slots: Buffer[] = [];
  readonly len: Int32Array;
  readonly due: Float64Array;
  head = 0;
  tail = 0;
  count = 0;
  linkFree = 0;
  /** The other direction: it reads the fd this one writes to. */
  reverse: Direction | undefined;
  readonly rng: () => number;
  constructor(
    readonly inFd: number,
    readonly outFd: number,
    /** Index of this direction's delay in `delays`. */
    readonly delayIndex: number,
    readonly statBase: number,
    /** This direction's packets are captured on arrival (true) or on delivery (false). */
    readonly captureOnArrival: boolean,
    seed: number,
    readonly nslots: number,
    readonly slotSize: number,
  ) {
    const mem = new ArrayBuffer(nslots * slotSize);
    for (let i = 0; i < nslots; i++) this.slots.push(Buffer.from(mem, i * slotSize, slotSize));
    this.len = new Int32Array(nslots);
    this.due = new Float64Array(nslots);
    this.rng = makeRng(seed);
  }
}

const slotSize = Math.max(cfg.mtu, 576);
const nslots = Math.min(Math.max(Math.ceil((32 << 20) / slotSize), 256), 16384);
const ab = new Direction(cfg.fdA, cfg.fdB, 0, 0, cfg.pcapSide === "a", cfg.seed, nslots, slotSize);
const ba = new Direction(cfg.fdB, cfg.fdA, 1, STAT_STRIDE, cfg.pcapSide === "b", cfg.seed ^ 0x9e3779b9, nslots, slotSize);
ab.reverse = ba;
ba.reverse = ab;
const rateBytesPerMs = cfg.rateBps > 0 ? cfg.rateBps / 8 / 1000 : 0;
const spinMs = cfg.spinUs / 1000;
const loss = cfg.loss;
const queueBytes = cfg.queueBytes;
// Raw IP (LINKTYPE_RAW 101) as TUN gives packets, nanosecond stamps; writeRange copies into one reused buffer.
const pcap = cfg.pcapPath ? new PcapWriter(cfg.pcapPath, { linkType: 101, nanosecond: true, snaplen: 65535, bufferSize: 1 << 20 }) : null;

// Wall clock for capture timestamps: timeOrigin split into whole seconds + a small remainder so
// that adding performance.now() keeps nanosecond precision in a double.
const originSec = Math.floor(performance.timeOrigin / 1000);
const originRemMs = performance.timeOrigin - originSec * 1000;

function capture(buf: Buffer, len: number, nowMs: number): void {
  const t = originRemMs + nowMs;
  const whole = Math.floor(t / 1000);
  let nsec = Math.round((t - whole * 1000) * 1e6);
  let sec = originSec + whole;
  if (nsec >= 1e9) {
    nsec -= 1e9;
    sec++;
  }
  pcap!.writeRange(sec, nsec, buf, 0, len);
}

const pfds = Buffer.alloc(16);
pfds.writeInt32LE(cfg.fdA, 0);
pfds.writeInt16LE(POLLIN, 4);
pfds.writeInt32LE(cfg.fdB, 8);
pfds.writeInt16LE(POLLIN, 12);
const ts = Buffer.alloc(16);

/**
 * Read what is queued on d's TUN. `stampMs` ≥ 0: these packets were emitted by the kernel during
 * our write that ended at stampMs (a TUN write runs the namespace's stack in this thread: an ACK
 * written to the sender makes it transmit the next window inside that same write(2)), so they had
 * all left the endpoint by then. Stamping them at the write's end — never earlier than they left,
 * so the RTT is never understated — rather than when each read(2) gets to them keeps a 13-segment
 * burst from being spread over 30–40 µs of our own reads, added to every round trip.
 */
function readAll(d: Direction, stampMs = -1): void {
  for (let budget = 64; budget > 0; budget--) {
    if (d.count === d.nslots) {
      // Ring full: read into a scratch slot to keep the TUN queue moving, and drop.
      const n = read(d.inFd, scratch, d.slotSize) as number;
      if (n <= 0) return;
      stats[d.statBase + STAT.dropsQueue]!++;
      continue;
    }
    const slot = d.slots[d.tail]!;
    const t0 = stampMs >= 0 ? performance.now() : 0;
    const n = read(d.inFd, slot, d.slotSize) as number;
    if (n <= 0) {
      if (n < 0 && errno() !== EAGAIN) stats[d.statBase + STAT.readErrors]!++;
      return;
    }
    // Reading a provoked packet overlaps its delay (it is stamped already): not delivery time.
    if (stampMs >= 0) provokedReadMs += performance.now() - t0;
    const now = stampMs >= 0 ? stampMs : performance.now();
    const sb = d.statBase;
    stats[sb + STAT.packetsIn]!++;
    stats[sb + STAT.bytesIn]! += n;
    if (pcap !== null && d.captureOnArrival && ctrl[CTRL_CAPTURE] === 1) capture(slot, n, now);
    if (loss > 0 && d.rng() < loss) {
      stats[sb + STAT.dropsLoss]!++;
      continue;
    }
    let due: number;
    if (rateBytesPerMs > 0) {
      const start = d.linkFree > now ? d.linkFree : now;
      if ((start - now) * rateBytesPerMs + n > queueBytes) {
        stats[sb + STAT.dropsQueue]!++;
        continue;
      }
      d.linkFree = start + n / rateBytesPerMs;
      due = d.linkFree + delays[d.delayIndex]!;
    } else {
      due = now + delays[d.delayIndex]!;
    }
    d.len[d.tail] = n;
    d.due[d.tail] = due;
    d.tail = d.tail + 1 === d.nslots ? 0 : d.tail + 1;
    d.count++;
  }
}

function releaseDue(d: Direction): void {
  while (d.count > 0) {
    const due = d.due[d.head]!;
    const now = performance.now();
    if (due > now) return;
    const slot = d.slots[d.head]!;
    const n = d.len[d.head]!;
    const w = write(d.outFd, slot, n) as number;
    const writeEnd = performance.now();
    const sb = d.statBase;
    if (w === n) {
      stats[sb + STAT.packetsOut]!++;
      stats[sb + STAT.bytesOut]! += n;
      const lateUs = (now - due) * 1000;
      stats[sb + STAT.lateSumUs]! += lateUs;
      if (lateUs > stats[sb + STAT.lateMaxUs]!) stats[sb + STAT.lateMaxUs] = lateUs;
      if (pcap !== null && !d.captureOnArrival && ctrl[CTRL_CAPTURE] === 1) capture(slot, n, now);
      // Writing into a TUN device runs that namespace's receive path in this thread, and what it
      // sends in response (ACKs, or the segments an ACK releases) is queued on the same device
      // right away. Read it now, so that its arrival time is not pushed back by the rest of a
      // burst still being written (up to ~15 µs per packet here).
      provokedReadMs = 0;
      readAll(d.reverse!, writeEnd);
      // Delivering a packet is serial work on one machine: the write (the receiving stack runs in
      // it, and what it transmits in response) and looking for what it provoked. Reading packets
      // that it did provoke is left out: they are stamped already and those reads overlap their delay.
      stats[sb + STAT.deliverSumUs]! += (performance.now() - now - provokedReadMs) * 1000;
    } else {
      stats[sb + STAT.writeErrors]!++;
    }
    d.head = d.head + 1 === d.nslots ? 0 : d.head + 1;
    d.count--;
  }
}

const scratch = Buffer.alloc(slotSize);
/** Time spent in read(2) calls that returned a provoked packet, during one delivery, ms. */
let provokedReadMs = 0;
prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
// A link does not pause because the machine is busy: with root, this thread runs SCHED_FIFO (it
// sleeps in ppoll between packets and spins at most spinUs per release, and the kernel's RT
// throttling keeps 5 % of each CPU for others). Without the privilege it stays a normal thread.
let realtime = false;
if (cfg.realtime) {
  const param = Buffer.alloc(4);
  param.writeInt32LE(cfg.realtime, 0);
  realtime = (sched_setscheduler(gettid(), SCHED_FIFO, param) as number) === 0;
}
// Pinned to one CPU together with the endpoints (lab validate does that): the wake-ups between the
// forwarder and the processes it serves stay on one CPU, with no inter-processor interrupt — on a
// virtual machine those cost 20–60 µs each, several per round trip.
if (cfg.cpu >= 0) {
  const mask = Buffer.alloc(128);
  mask[cfg.cpu >> 3] = 1 << (cfg.cpu & 7);
  sched_setaffinity(gettid(), 128, mask);
}
parentPort!.postMessage({ type: "ready", realtime });

while (Atomics.load(ctrl, CTRL_STOP) === 0) {
  releaseDue(ab);
  releaseDue(ba);
  readAll(ab);
  readAll(ba);
  const next = Math.min(ab.count > 0 ? ab.due[ab.head]! : Infinity, ba.count > 0 ? ba.due[ba.head]! : Infinity);
  const wait = next - performance.now();
  if (wait > spinMs) {
    // Sleep until new packets or until spinUs before the next release; at most 50 ms so a stop
    // request is seen promptly.
    const sleepMs = Math.min(wait - spinMs, 50);
    const whole = Math.floor(sleepMs / 1000);
    ts.writeInt32LE(whole, 0); // tv_sec (high half stays 0)
    ts.writeInt32LE(Math.floor((sleepMs - whole * 1000) * 1e6), 8); // tv_nsec
    ppoll(pfds, 2, ts, null);
  }
}

if (pcap !== null) pcap.close();
// Word 1 tells a main thread blocked in Atomics.wait that the fds are no longer in use.
Atomics.store(ctrl, CTRL_STOPPED, 1);
Atomics.notify(ctrl, CTRL_STOPPED);
parentPort!.postMessage({ type: "stopped" });
