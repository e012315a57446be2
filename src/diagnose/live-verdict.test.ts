import { test } from "node:test";
import assert from "node:assert/strict";
import { liveVerdict, type LiveDelta } from "./live-verdict.js";
import { VERDICT_KINDS } from "./kinds.js";

const base: LiveDelta = { intervalUs: 1_000_000, peer: "10.0.0.7:9876", sndMss: 574, rttUs: 1660, cwnd: 10, unacked: 2 };

test("idle: no verdict", () => {
  assert.equal(liveVerdict({ ...base, busyUs: 0, bytesAcked: 0, bytesReceived: 0 }), undefined);
});

test("the incident: 574-byte window, rwnd-limited most of the time → receiver_window_limited naming the peer and its window", () => {
  const v = liveVerdict({ ...base, busyUs: 1_000_000, rwndLimitedUs: 700_000, bytesAcked: 345_000, sndWnd: 574 }, 2_079_208)!;
  assert.equal(v.kind, "receiver_window_limited");
  assert.match(v.message, /10\.0\.0\.7:9876 advertises a 574 B window \(1\.0 × MSS 574\)/);
  assert.equal(v.inputs.rwnd_limited_us, 700_000);
  // 2 MB at 345 kB/s ≈ 6 s; the window model: 2079208 / 574 × 1.66 ms ≈ 6 s.
  assert.ok(Math.abs(v.eta!.at_rate_s! - 6.03) < 0.05);
  assert.ok(v.eta!.window_model_s! > 5.5 && v.eta!.window_model_s! < 6.5, String(v.eta!.window_model_s));
});

test("a tiny window with throughput at window/RTT is window-bound even at a modest rwnd share", () => {
  const v = liveVerdict({ ...base, busyUs: 1_000_000, rwndLimitedUs: 100_000, bytesAcked: 330_000, sndWnd: 574 })!;
  assert.equal(v.kind, "receiver_window_limited");
});

test("send buffer, loss, application, congestion, healthy", () => {
  assert.equal(liveVerdict({ ...base, busyUs: 900_000, sndbufLimitedUs: 600_000, bytesAcked: 1e6, sndWnd: 1e6 })!.kind, "sender_buffer_limited");
  assert.equal(liveVerdict({ ...base, busyUs: 900_000, bytesAcked: 1e6, sndWnd: 1e6, retransSegs: 50, dataSegsOut: 1000 })!.kind, "loss_limited");
  assert.equal(liveVerdict({ ...base, busyUs: 100_000, bytesAcked: 5000, sndWnd: 1e6 })!.kind, "application_limited");
  // A full congestion window alone is slow start doing its job; with retransmissions (below the loss
  // threshold) or a standing queue it is the congestion window / the path's rate.
  assert.equal(liveVerdict({ ...base, busyUs: 900_000, bytesAcked: 1e6, sndWnd: 1e6, cwnd: 10, unacked: 10 })!.kind, "healthy");
  assert.equal(liveVerdict({ ...base, busyUs: 900_000, bytesAcked: 1e6, sndWnd: 1e6, cwnd: 10, unacked: 10, retransSegs: 2, dataSegsOut: 1000 })!.rule.id, "cwnd_retrans");
  const q = liveVerdict({ ...base, busyUs: 900_000, bytesAcked: 1e6, sndWnd: 1e6, rttUs: 6000, minRttUs: 1700 })!;
  assert.equal(q.kind, "congestion_limited");
  assert.equal(q.rule.id, "bottleneck");
  assert.match(q.message, /the path's rate is the limit/);
  assert.equal(liveVerdict({ ...base, busyUs: 900_000, bytesAcked: 1e6, sndWnd: 1e6, cwnd: 100, unacked: 3 })!.kind, "healthy");
});

test("the receiving end of a small window names its own buffer", () => {
  const v = liveVerdict({ ...base, bytesReceived: 1e6, bytesAcked: 0, busyUs: 0, rcvWnd: 574, rcvMss: 574, rb: 2304 })!;
  assert.equal(v.kind, "receiver_window_limited");
  assert.match(v.message, /we advertise only 574 B .* rb 2304/);
});

test("every verdict kind is one of the shared vocabulary", () => {
  const kinds = new Set<string>(VERDICT_KINDS);
  for (const d of [
    { busyUs: 1e6, rwndLimitedUs: 9e5, bytesAcked: 1 },
    { busyUs: 1e6, sndbufLimitedUs: 9e5, bytesAcked: 1 },
    { busyUs: 1e5, bytesAcked: 1 },
  ]) assert.ok(kinds.has(liveVerdict({ ...base, ...d })!.kind));
});

test("≈ joins only numbers within 10 %; further apart the message gives the ratio", () => {
  // 574 B / 1.66 ms = 345783 B/s. At 330 kB/s: ≈. At 700 kB/s (2×): the ratio.
  const near = liveVerdict({ ...base, busyUs: 1_000_000, rwndLimitedUs: 100_000, bytesAcked: 330_000, sndWnd: 574 })!;
  assert.match(near.message, /330000 B\/s while sending ≈ window\/RTT 345783 B\/s/);
  const far = liveVerdict({ ...base, busyUs: 1_000_000, rwndLimitedUs: 100_000, bytesAcked: 700_000, sndWnd: 574 })!;
  assert.doesNotMatch(far.message, /≈/);
  assert.match(far.message, /700000 B\/s while sending = 2\.02 × window\/RTT 345783 B\/s/);
});

test("a zero peer window: the receiving application is not reading, and its socket here is named", () => {
  const v = liveVerdict({ ...base, busyUs: 1_000_000, rwndLimitedUs: 1_000_000, bytesAcked: 0, sndWnd: 0, peerHere: { rqueue: 131072, rb: 131072, process: "77/reader" } })!;
  assert.equal(v.kind, "receiver_window_limited");
  assert.doesNotMatch(v.message, /× MSS/);
  assert.match(v.message, /advertises a zero window: its application is not reading \(receive buffer full\).*its socket here \(77\/reader\) holds Recv-Q 131072 B unread of rb 131072/);
});

test("ETA of a receiving socket comes from the direction that moves data, not its idle send direction", () => {
  // 1 MB/s received, 100 B/s of replies sent: 2 MB takes ~2 s, not 20 000 s.
  const v = liveVerdict({ ...base, bytesReceived: 1_000_000, bytesAcked: 100, busyUs: 1000, rcvWnd: 65536, rcvMss: 1448, sndWnd: 65536 }, 2_000_000)!;
  assert.ok(Math.abs(v.eta!.at_rate_s! - 2) < 0.01, String(v.eta!.at_rate_s));
  assert.equal(v.inputs.eta_direction, "receiving");
});

test("live verdicts carry the capture policy's shape: rule conditions, secondary, confidence, margin", () => {
  // rwnd-limited 50 % of the interval, idle 30 %: the window first, the application second.
  const v = liveVerdict({ ...base, busyUs: 700_000, rwndLimitedUs: 500_000, bytesAcked: 100_000, sndWnd: 8000, rttUs: 20_000 })!;
  assert.equal(v.kind, "receiver_window_limited");
  assert.equal(v.rule.id, "rwnd_share");
  assert.ok(v.rule.conditions.every((k) => k.holds && k.threshold_name !== null));
  assert.equal(v.secondary?.kind, "application_limited");
  assert.match(v.message, /then the application \(30%/);
  assert.ok(v.confidence > 0.5 && v.confidence <= 1);
  assert.ok(v.margin !== null);
  // A close race: rwnd-limited 40 % of the interval, idle 37 % — a lead of 0.03, said so.
  const close = liveVerdict({ ...base, busyUs: 630_000, rwndLimitedUs: 400_000, bytesAcked: 100_000, sndWnd: 8000, rttUs: 20_000 })!;
  assert.equal(close.kind, "receiver_window_limited");
  assert.ok(close.confidence < 0.6, String(close.confidence));
  assert.equal(close.margin?.measure, "lead");
  // Sending (the congestion window, no loss, no queue) 74 %, the window 26 %: the largest share has
  // no limit rule, so nothing cost more than the round trips — healthy, not the runner-up.
  assert.equal(liveVerdict({ ...base, busyUs: 1_000_000, rwndLimitedUs: 260_000, bytesAcked: 100_000, sndWnd: 8000, rttUs: 20_000 })!.kind, "healthy");
  assert.match(close.message, /close call/);
});
