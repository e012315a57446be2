import { test } from "node:test";
import assert from "node:assert/strict";
import { liveSocketFlags, type LiveSocketFacts, type MachineLimits } from "./live-flags.js";

const machine: MachineLimits = {
  family: "6.10+",
  rmemMax: 212992,
  tcpRmem: [4096, 131072, 6291456],
  tcpWmem: [4096, 16384, 4194304],
  bandwidthBps: 1e9,
};
const estab: LiveSocketFacts = { state: "ESTAB", rb: 131072, tb: 16384, snd_mss: 574, rcv_mss: 574, rtt: 1660, snd_wnd: 64000, rcv_wnd: 64000, wscale_ok: true, rcv_wscale: 7, snd_wscale: 7 };
const byKind = (f: LiveSocketFacts) => new Map(liveSocketFlags(f, machine).map((x) => [x.kind, x]));

test("a zero peer window says the receiver is not reading — not 'at most 1 segment'", () => {
  const f = byKind({ ...estab, snd_wnd: 0 });
  assert.equal(f.has("peer_window_small"), false);
  const z = f.get("peer_window_zero")!;
  assert.equal(z.severity, "warning");
  assert.match(z.message, /peer window 0: the receiving application is not reading \(its receive buffer is full\)/);
  assert.doesNotMatch(z.message, /segment/);
});

test("a zero peer window names the receiving socket when it is on this host: its Recv-Q, rb, skmem drops", () => {
  const z = byKind({ ...estab, snd_wnd: 0, peer_here: { rqueue: 6_100_000, rb: 6_291_456, drops: 12, process: "4242/consumer" } }).get("peer_window_zero")!;
  assert.match(z.message, /its socket here \(4242\/consumer\) holds Recv-Q 6100000 B unread of rb 6291456, 12 packets dropped \(skmem\)$/);
  assert.deepEqual(z.inputs, { snd_wnd: 0, peer_rqueue: 6_100_000, peer_rb: 6_291_456, peer_drops: 12 });
});

test("the receiving socket itself: we advertise a zero window, with its unread Recv-Q", () => {
  const z = byKind({ ...estab, rcv_wnd: 0, rqueue: 3000, rb: 2304, drops: 3 }).get("receive_window_zero")!;
  assert.equal(z.message, "we advertise a zero window: this application is not reading (Recv-Q 3000 B unread of rb 2304), 3 packets dropped (skmem): the peer cannot send until it reads");
});

test("a small but open peer window is still peer_window_small", () => {
  const f = byKind({ ...estab, snd_wnd: 574 });
  assert.match(f.get("peer_window_small")!.message, /at most 1 segment/);
  assert.equal(f.has("peer_window_zero"), false);
});

test("tb of an autotuned socket: the text names the ceiling it computed with, as rb's does", () => {
  // 10 Gbit/s × 10 ms = 12.5 MB BDP: above both ceilings.
  const m = { ...machine, bandwidthBps: 1e10 };
  const flags = new Map(liveSocketFlags({ ...estab, rtt: 10_000, tb: 87040 }, m).map((x) => [x.kind, x]));
  const tb = flags.get("sndbuf_below_bdp")!;
  assert.match(tb.message, /^send buffer from tb 4194304 \(autotuning ceiling; tb now 87040\) holds ≈ 2097152 B of data < BDP 12500000 B/);
  assert.equal(tb.inputs.autotuned, true);
  assert.match(flags.get("rcvbuf_below_bdp")!.message, /rb 6291456 \(autotuning ceiling\)/);
  // A set SO_SNDBUF (below tcp_wmem[1]) is the value itself.
  const set = new Map(liveSocketFlags({ ...estab, tb: 4608 }, machine).map((x) => [x.kind, x])).get("sndbuf_below_bdp")!;
  assert.match(set.message, /^send buffer from tb 4608 holds ≈ 2304 B of data/);
});
