/**
 * Issue 9, item 7 (analyze): every sentence a verdict prints is true of the numbers behind it —
 * the unit a small window was counted in, no fix for a deadline already met, RocketMQ only on a
 * RocketMQ connection, "agrees" only when the model is close, and a bottleneck link named as the
 * path's rate, not the congestion window.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { crossCheck, diagnoseConnection, makeFix, measure, rocketmqKey, thresholdsWith, THRESHOLDS } from "./index.js";
import { smallWindowBound } from "./claims.js";
import { bulkHealthy, incident, stats } from "./testing/make-evidence.js";

test("a small window is stated in the unit it was counted in: the largest segment when it is not the MSS", () => {
  // GRO/TSO-sized segments (largest 11584, MSS 1460): tcp/limits counted windows ≤ 2 × 11584.
  const gro = incident({
    server: { addr: "10.0.0.2", port: 5201 },
    c2s: { mss_syn: 1460, max_segment: 11584, rwnd_adv: stats(11584, 11584, 23168), bytes_in_flight: stats(11584, 11584, 23168), small_window_share: 1 },
    s2c: { mss_syn: 1460 },
  });
  const v = diagnoseConnection(gro);
  assert.equal(v.kind, "receiver_window_limited");
  assert.match(v.claim, /advertised ≤ 23168 B \(2 × the largest segment, 11584 B; MSS 1460: the capture holds segments merged by GRO\/TSO, 7\.9 × MSS\) for 100 %/);
  assert.doesNotMatch(v.claim, /2920|2 × MSS/);
  // Timestamps: segments of 1448 under an MSS option of 1460.
  assert.equal(smallWindowBound({ segment: 1448, mss: 1460, rwnd_max_bytes: 2896 }), "2896 B (2 × the largest segment, 1448 B; MSS 1460)");
  assert.equal(smallWindowBound({ segment: 1448, mss: null, rwnd_max_bytes: 2896 }), "2896 B (2 × the largest segment, 1448 B)");
  // Segment and MSS the same (the incident): as before.
  assert.equal(smallWindowBound({ segment: 574, mss: 574, rwnd_max_bytes: 1148 }), "1148 B (2 × MSS 574)");
  assert.equal(smallWindowBound({ segment: 574, mss: 574, rwnd_max_bytes: 574 }), "574 B (one MSS, 574)");
  assert.equal(smallWindowBound({ segment: 11584, mss: 1460, rwnd_max_bytes: 11584 }), "11584 B (the largest segment, 11584 B; MSS 1460: the capture holds segments merged by GRO/TSO, 7.9 × MSS)");
  assert.equal(smallWindowBound({ segment: 574, mss: 574, rwnd_max_bytes: 1000 }), "1000 B (MSS 574)");
});

test("a deadline already met gets no fix: the note says it was met", () => {
  // The incident took 3.00 s; a 5 s deadline needs nothing ("Raise SO_RCVBUF to ≥ 1934" was the value set).
  const met = diagnoseConnection(incident(), { deadlineSec: 5 });
  assert.equal(met.kind, "receiver_window_limited", "the verdict still says what held the transfer");
  assert.equal(met.fix, null);
  assert.ok(met.notes.includes("deadline 5.00 s met: the data took 3.00 s; nothing needs fixing to meet it"), met.notes.join("; "));
  // Missed: a fix with a value.
  const missed = diagnoseConnection(incident(), { deadlineSec: 2 });
  assert.equal(missed.fix?.setting, "SO_RCVBUF");
  assert.ok(missed.fix!.value! > 0);
  assert.ok(!missed.notes.some((n) => /nothing needs fixing/.test(n)));
  // Any kind: met is met.
  const lossy = bulkHealthy({ c2s: { bytes_sent: 51_500_000, flags: { retransmission: 900 }, limits: { busy_s: 0.05, rwnd: 0.1, cwnd: 0.85, app: 0.05 } } });
  assert.equal(diagnoseConnection(lossy).kind, "loss_limited");
  assert.notEqual(diagnoseConnection(lossy).fix, null);
  assert.equal(diagnoseConnection(lossy, { deadlineSec: 1 }).fix, null);
  // Without a deadline there is nothing to compare: the fix stays.
  assert.notEqual(diagnoseConnection(incident()).fix, null);
});

test("RocketMQ is named only on RocketMQ's ports or when the decoded protocol says so", () => {
  const on = (port: number, deadlineSec?: number) => diagnoseConnection(incident({ server: { addr: "10.0.0.2", port } }), { deadlineSec }).fix!;
  // iperf3's port: none of RocketMQ's words, with or without a deadline.
  for (const f of [on(5201), on(5201, 2)]) {
    assert.doesNotMatch(f.text, /RocketMQ|SocketRcvBufSize/, f.text);
    assert.equal(f.rocketmq, null);
  }
  for (const [port, role] of [
    [9876, "name server"],
    [10911, "broker"],
    [10909, "broker \\(VIP channel\\)"],
    [10912, "broker \\(HA\\)"],
  ] as const) {
    assert.match(on(port).text, new RegExp(`RocketMQ \\(${role} on port ${port}\\): remove serverSocketRcvBufSize`));
    assert.match(on(port, 2).rocketmq!, /^serverSocketRcvBufSize=\d+$/);
  }
  // The seam for a decoded protocol: port 5000, but the decoder said RocketMQ.
  const e = incident({ server: { addr: "10.0.0.2", port: 5000 } });
  const m = measure(e, "c2s");
  const base = { kind: "receiver_window_limited" as const, m, sender: e.c2s.sender, receiver: e.c2s.receiver, receiverIsServer: true, zeroWindow: false, opts: {} };
  assert.doesNotMatch(makeFix(base)!.text, /RocketMQ/);
  assert.match(makeFix({ ...base, protocol: "rocketmq" })!.text, /RocketMQ \(server\): remove serverSocketRcvBufSize/);
  assert.doesNotMatch(makeFix({ ...base, protocol: "http" })!.text, /RocketMQ/);
  // Who is who: a client sending to a broker sets clientSocketSndBufSize.
  assert.deepEqual(rocketmqKey({ addr: "a", port: 40000 }, { addr: "b", port: 10911 }, false, "Snd"), { key: "clientSocketSndBufSize", role: "client" });
  assert.equal(rocketmqKey({ addr: "a", port: 40000 }, { addr: "b", port: 5201 }, false, "Snd"), null);
  // A send-buffer fix on iperf3's port: no RocketMQ either.
  const snd = diagnoseConnection(
    bulkHealthy({ server: { addr: "10.0.0.2", port: 5201 }, c2s: { bytes_in_flight: stats(1448, 87000, 92000), rwnd_adv: stats(3_000_000, 3_000_000, 3_000_000), limits: { busy_s: 1, rwnd: 0, cwnd: 0.95, app: 0.05 } } }),
    { deadlineSec: 0.02 },
  );
  assert.equal(snd.kind, "sender_buffer_limited");
  assert.doesNotMatch(snd.fix!.text, /RocketMQ/);
  assert.equal(snd.fix!.rocketmq, null);
});

/** The incident with its transfer time set to `ratio` × the model's time. */
function incidentAt(ratio: number) {
  const predicted = diagnoseConnection(incident()).model!.predicted_ms / 1000;
  return incident({ c2s: { first_data_s: 0, last_data_s: ratio * predicted } });
}

test('the model cross-check says "agrees" only within model_close_factor, "roughly agrees" up to model_agreement_factor', () => {
  const t = thresholdsWith();
  assert.equal(t.model_close_factor, THRESHOLDS.model_close_factor);
  const word = (ratio: number, over?: Record<string, number>) => {
    const v = diagnoseConnection(incidentAt(ratio), { thresholds: over });
    assert.ok(Math.abs(v.model!.ratio - ratio) < 0.002, `ratio ${v.model!.ratio} for ${ratio}`);
    return [v.model!.agreement, v.model!.agrees];
  };
  assert.deepEqual(word(1), ["agrees", true]);
  assert.deepEqual(word(1.2), ["agrees", true]);
  assert.deepEqual(word(1 / 1.2), ["agrees", true]);
  assert.deepEqual(word(1.74), ["roughly_agrees", true], "×1.74 is not agreement");
  assert.deepEqual(word(1 / 1.74), ["roughly_agrees", true]);
  assert.deepEqual(word(1.3), ["roughly_agrees", true]);
  assert.deepEqual(word(2.5), ["disagrees", false]);
  assert.deepEqual(word(0.4), ["disagrees", false]);
  // The words follow the thresholds, not constants of their own.
  assert.deepEqual(word(1.74, { model_close_factor: 2 }), ["agrees", true]);
  assert.deepEqual(word(1.2, { model_close_factor: 1.1 }), ["roughly_agrees", true]);
  assert.deepEqual(word(2.5, { model_agreement_factor: 3 }), ["roughly_agrees", true]);
  // Straight from crossCheck: the word is judged on the ratio it reports.
  for (const r of [1.1, 1.24, 1.26, 1.6, 1.99, 2.1]) {
    const mc = crossCheck("receiver_window_limited", measure(incidentAt(r), "c2s"), t)!;
    const x = Math.max(mc.ratio, 1 / mc.ratio);
    assert.equal(mc.agreement, x <= t.model_close_factor ? "agrees" : x <= t.model_agreement_factor ? "roughly_agrees" : "disagrees", `ratio ${mc.ratio}`);
  }
});

/** A 100 Mbit/s link run at 94 %: 11.75 MB/s, RTT 2 ms on an idle path, 12.7 ms with its queue. */
function bottleneck() {
  const rate = 11.75e6;
  return bulkHealthy({
    server: { addr: "10.0.0.2", port: 5201 },
    irtt_ms: 2,
    c2s: {
      bytes: 58_750_000,
      bytes_sent: 58_750_000,
      first_data_s: 0.01,
      last_data_s: 5.01,
      rwnd_adv: stats(64000, 3_000_000, 6_000_000),
      bytes_in_flight: stats(1448, Math.round(rate * 0.0127), 300_000),
      rtt_ms: stats(2.0, 12.7, 14, 5000, 13.5),
      limits: { busy_s: 5, rwnd: 0.02, cwnd: 0.95, app: 0.03 },
    },
  });
}

test("a bottleneck link is the path's rate, not the congestion window: title, claim and fix say so", () => {
  const v = diagnoseConnection(bottleneck());
  assert.equal(v.kind, "congestion_limited", "the kind is unchanged");
  assert.equal(v.rule.id, "bottleneck");
  assert.equal(v.title, "path rate limited: a bottleneck link");
  assert.match(v.claim, /^the path's rate is the limit: a bottleneck link between 10\.0\.0\.1:40000 and 10\.0\.0\.2:5201 ran full\./);
  assert.match(v.claim, /The data moved at 11\.8 MB\/s \(94\.0 Mbit\/s\)/);
  assert.match(v.claim, /rate estimate \(median in flight 149225 B \/ median RTT 12\.70 ms\) is 11\.8 MB\/s \(94\.0 Mbit\/s\), ≈ the throughput/);
  assert.match(v.claim, /a standing queue of 10\.70 ms \(RTT min 2\.00 ms, median 12\.70 ms; ≈ 123 KiB queued at that rate\)/);
  assert.match(v.claim, /nothing lost/);
  assert.doesNotMatch(v.claim, /congestion window/);
  const f = v.fix!;
  assert.equal(f.side, "network");
  assert.equal(f.setting, null);
  assert.match(f.text, /^No TCP setting fixes this: the path's rate, ≈ 11\.8 MB\/s \(94\.0 Mbit\/s\), between 10\.0\.0\.1:40000 and 10\.0\.0\.2:5201 is the limit\./);
  assert.match(f.text, /standing queue of 10\.70 ms/);
  assert.doesNotMatch(f.text, /SO_RCVBUF|SO_SNDBUF|tcp_congestion_control|RocketMQ/);
  // A deadline the path cannot meet says so.
  const d = diagnoseConnection(bottleneck(), { deadlineSec: 2 });
  assert.match(d.fix!.text, /The deadline 2\.00 s needs 29\.4 MB\/s \(235 Mbit\/s\) sustained, more than this path gave\./);
  // The estimate is not "≈" when it is far from the throughput.
  const far = bottleneck();
  far.c2s.bytes_in_flight = stats(1448, 300_000, 400_000);
  const vf = diagnoseConnection(far);
  assert.equal(vf.rule.id, "bottleneck");
  assert.match(vf.claim, /is 23\.6 MB\/s \(189 Mbit\/s\), ×2\.01 of the throughput/);
  // Congestion with retransmissions and no standing queue keeps the congestion window's words.
  const cw = diagnoseConnection(bulkHealthy({ c2s: { bytes_sent: 50_100_000, flags: { retransmission: 70 }, limits: { busy_s: 1, rwnd: 0.1, cwnd: 0.85, app: 0.05 } } }));
  assert.equal(cw.rule.id, "cwnd_share");
  assert.match(cw.claim, /the congestion window set the pace/);
  assert.doesNotMatch(cw.fix!.text, /path's rate/);
});
