import { test } from "node:test";
import assert from "node:assert/strict";
import { PortTotals } from "./port-totals.js";
import type { SampledSocket } from "./live-deltas.js";

const listener = (port: number, comm = "srv"): SampledSocket => ({ cookie: 1000 + port, family: 2, state: 10, src: "0.0.0.0", dst: "0.0.0.0", sport: port, dport: 0, rqueue: 0, comm });
const conn = (cookie: number, sport: number, dport: number, busy: number, rwnd: number, extra: Partial<SampledSocket> = {}): SampledSocket => ({
  cookie,
  family: 2,
  state: 1,
  src: "10.0.0.1",
  dst: "10.0.0.2",
  sport,
  dport,
  rqueue: 0,
  skmem: { rcvbuf: 2304, sndbuf: 87040 },
  info: { busy_time: busy, rwnd_limited: rwnd, sndbuf_limited: 0, bytes_acked: busy, bytes_received: 0, total_retrans: 0, snd_mss: 574, rcv_mss: 574, rtt: 1660, snd_cwnd: 10, unacked: 2, snd_wnd: 1148 },
  ...extra,
});
const sample = (tUs: number, ...s: SampledSocket[]) => ({ tUs, sockets: new Map(s.map((x) => [x.cookie, x])) });
const find = (t: PortTotals, role: string, port: number) => t.snapshot().totals.find((k) => k.key.role === role && k.key.port === port);

test("sums grow with open connections and keep closed ones: final − last from the notification, all of an unseen one", () => {
  const t = new PortTotals({ graceUs: 1e6 });
  t.observe(sample(0, listener(9876), conn(1, 9876, 40000, 100, 50, { comm: "srv" }), conn(2, 41000, 9876, 1000, 800, { comm: "cli" })), true);
  assert.equal(find(t, "client", 9876)!.sums.rwnd_limited, 800);
  assert.equal(find(t, "server", 9876)!.key.process, "srv");
  t.observe(sample(1e6, listener(9876), conn(1, 9876, 40000, 100, 50, { comm: "srv" }), conn(2, 41000, 9876, 3000, 2500, { comm: "cli" })), true);
  assert.equal(find(t, "client", 9876)!.sums.rwnd_limited, 2500);
  // cookie 2 leaves the dump; its notification arrives with the final counters.
  t.observe(sample(2e6, listener(9876), conn(1, 9876, 40000, 100, 50, { comm: "srv" })), true);
  assert.equal(find(t, "client", 9876)!.closed.rwnd, 0, "waits for the notification");
  t.destroyed(conn(2, 41000, 9876, 3600, 3000, { state: 7 }));
  assert.equal(find(t, "client", 9876)!.sums.rwnd_limited, 3000);
  assert.equal(find(t, "client", 9876)!.closed.rwnd, 1);
  // A connection born and closed between samples: only its notification, counted whole.
  t.destroyed(conn(3, 41001, 9876, 50_000, 48_000, { state: 7 }));
  const c = t.snapshot().totals.filter((k) => k.key.role === "client" && k.key.port === 9876);
  assert.equal(c.reduce((n, k) => n + k.sums.rwnd_limited, 0), 51_000);
  assert.equal(c.find((k) => k.key.process === "unknown")!.closed.rwnd, 1);
  // A listener's own notification (dport 0) is not a connection.
  t.destroyed({ ...listener(9876), state: 7 });
  assert.equal(find(t, "server", 9876)!.closed.none, 0);
});

test("polling fallback: a vanished connection is closed at once with its last values; no double count if a notification follows", () => {
  const t = new PortTotals();
  t.observe(sample(0, conn(1, 41000, 80, 10, 0, { comm: "curl" })), false);
  t.observe(sample(1e6), false);
  assert.equal(find(t, "client", 80)!.closed.none, 1);
  assert.equal(find(t, "client", 80)!.sums.busy_time, 10);
});

test("a notification never double counts what samples already added; grace expiry closes", () => {
  const t = new PortTotals({ graceUs: 1e6 });
  t.observe(sample(0, conn(1, 41000, 80, 500, 0, { comm: "a" })), true);
  t.observe(sample(1e6), true);
  t.observe(sample(3e6), true); // grace over
  assert.equal(find(t, "client", 80)!.closed.none, 1);
  assert.equal(find(t, "client", 80)!.sums.busy_time, 500);
  t.destroyed(conn(1, 41000, 80, 600, 0, { state: 7 })); // too late: ignored, not counted whole again
  assert.equal(find(t, "client", 80)!.sums.busy_time, 500);
  assert.equal(find(t, "client", 80)!.closed.none, 1);
});

test("key cap: further keys fold into _other and are counted", () => {
  const t = new PortTotals({ maxKeys: 2 });
  t.observe(sample(0, conn(1, 41000, 1, 1, 0), conn(2, 41001, 2, 1, 0), conn(3, 41002, 3, 1, 0), conn(4, 41003, 4, 1, 0)), true);
  const s = t.snapshot();
  assert.equal(s.totals.length, 3);
  assert.equal(s.totals.find((k) => k.key.process === "_other")!.sums.busy_time, 2);
  assert.equal(s.overflowConnections, 2);
});

test("a connection whose owner is pending is keyed at the sample that knows it, counted whole then", () => {
  const t = new PortTotals();
  t.observe(sample(0, conn(1, 41000, 80, 100, 0, { ownerPending: true })), true);
  assert.equal(t.snapshot().totals.length, 0);
  t.observe(sample(1e6, conn(1, 41000, 80, 300, 0, { comm: "wget" })), true);
  assert.equal(find(t, "client", 80)!.key.process, "wget");
  assert.equal(find(t, "client", 80)!.sums.busy_time, 300);
});

test("gauges: smallest rb / tb / peer window, connections by verdict; top connections", () => {
  const t = new PortTotals({ topN: 1 });
  t.observe(sample(0, conn(1, 41000, 80, 0, 0), conn(2, 41001, 80, 0, 0, { skmem: { rcvbuf: 1000, sndbuf: 5000 } })), true);
  t.observe(sample(1e6, conn(1, 41000, 80, 900_000, 800_000), conn(2, 41001, 80, 0, 0, { skmem: { rcvbuf: 1000, sndbuf: 5000 } })), true);
  const g = t.snapshot().gauges.find((x) => x.key.port === 80)!;
  assert.equal(g.rcvbufMin, 1000);
  assert.equal(g.sndbufMin, 5000);
  assert.equal(g.peerWindowMin, 1148);
  assert.equal(g.connections, 2);
  assert.equal(g.byVerdict.get("none"), 1, "the idle one");
  assert.equal(g.byVerdict.get("receiver_window_limited"), 1);
  const top = t.snapshot().top;
  assert.equal(top.length, 1);
  assert.equal(top[0]!.local, "10.0.0.1:41000");
  assert.ok(top[0]!.rwndShare > 0.8);
});

test("a listener never sampled: the ephemeral end is the client's", () => {
  const t = new PortTotals();
  t.destroyed(conn(1, 9876, 41000, 10, 0, { state: 7 })); // the server's end, peer port ephemeral
  t.destroyed(conn(2, 41000, 9876, 10, 5, { state: 7 })); // the client's end
  const keys = t.snapshot().totals.map((k) => `${k.key.role}:${k.key.port}`).sort();
  assert.deepEqual(keys, ["client:9876", "server:9876"]);
});
