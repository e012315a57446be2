import { test } from "node:test";
import assert from "node:assert/strict";
import { diagnoseAll, diagnoseConnection, RULES, THRESHOLDS, VERDICT_KINDS, type VerdictKind } from "./index.js";
import { bulkHealthy, connection, incident, stats } from "./testing/make-evidence.js";

test("the incident: receiver_window_limited with the issue's numbers and a model that agrees", () => {
  const v = diagnoseConnection(incident());
  assert.equal(v.kind, "receiver_window_limited");
  assert.equal(v.direction, "c2s");
  assert.deepEqual(v.receiver, { addr: "10.0.0.2", port: 9876 });
  assert.match(v.claim, /10\.0\.0\.2:9876 advertised ≤ 1148 B \(2 × MSS 574\) for 99 % of the transfer/);
  assert.match(v.claim, /at RTT 1\.66 ms that caps throughput at 692 kB\/s/);
  assert.match(v.claim, /1\.98 MiB took 3\.00 s \(model: 3\.01 s\)/);
  assert.ok(v.model);
  assert.equal(v.model.window_bytes, 1148);
  assert.equal(v.model.window_source, "advertised_median");
  assert.equal(v.model.rtt_ms, 1.66);
  assert.equal(v.model.round_trips, 1812);
  assert.ok(v.model.agrees);
  // Traceable: the rule names the measure and threshold that decided.
  assert.deepEqual(
    { id: v.rule.id, value: v.rule.value, threshold: v.rule.threshold },
    { id: "rwnd_share", value: 0.99, threshold: THRESHOLDS.material_share },
  );
  assert.equal(v.measures?.rwnd_median_bytes, 1148);
});

test("the incident's fix: SO_RCVBUF on the name server, RocketMQ key, value meeting --deadline", () => {
  const plain = diagnoseConnection(incident());
  assert.equal(plain.fix?.side, "receiver");
  assert.equal(plain.fix?.setting, "SO_RCVBUF");
  assert.equal(plain.fix?.value, null);
  assert.match(plain.fix!.text, /--deadline/);
  assert.match(plain.fix!.text, /RocketMQ \(name server on port 9876\)/);

  const v = diagnoseConnection(incident(), { deadlineSec: 3, kernel: { major: 6, minor: 18 } });
  const f = v.fix!;
  // 1148 B needs 3007.9 ms > 3 s, so the smallest window in whole segments is 3 × 574.
  assert.equal(f.window_bytes, 1722);
  assert.ok(f.predicted_ms! <= 3000);
  assert.ok(f.value! > 1024, `value ${f.value}`);
  assert.equal(f.rocketmq, `serverSocketRcvBufSize=${f.value}`);
  assert.match(f.text, new RegExp(`SO_RCVBUF on 10\\.0\\.0\\.2:9876 to ≥ ${f.value}`));

  assert.equal(v.notes[0], "deadline 3.00 s missed: the data took 3.00 s"); // 3.004 s
  assert.match(diagnoseConnection(incident(), { deadlineSec: 2 }).notes[0]!, /^deadline 2\.00 s missed: the data took 3\.00 s$/);
  const tight = diagnoseConnection(incident(), { deadlineSec: 0.001 });
  assert.ok(tight.fix?.infeasible_reason, "1 ms for 2 MB at 1.66 ms RTT is impossible");
});

test("a generic port gets no RocketMQ line at all; a client receiver of a broker gets clientSocketRcvBufSize", () => {
  const v = diagnoseConnection(incident({ server: { addr: "10.0.0.2", port: 5000 } }), { deadlineSec: 3 });
  assert.doesNotMatch(v.fix!.text, /RocketMQ|SocketRcvBufSize/);
  assert.equal(v.fix!.rocketmq, null);
  // Server → client bulk (a download) to a client that locked its buffer, from a broker port.
  const e = incident({ server: { addr: "10.0.0.2", port: 10911 } });
  [e.c2s, e.s2c] = [{ ...e.s2c, sender: e.c2s.sender, receiver: e.c2s.receiver }, { ...e.c2s, sender: e.s2c.sender, receiver: e.s2c.receiver }];
  const d = diagnoseConnection(e, { deadlineSec: 3 });
  assert.equal(d.direction, "s2c");
  assert.equal(d.kind, "receiver_window_limited");
  assert.deepEqual(d.receiver, { addr: "10.0.0.1", port: 51234 });
  assert.match(d.fix!.rocketmq!, /^clientSocketRcvBufSize=\d+$/);
});

test("each verdict kind from hand-made evidence", () => {
  const cases: Array<[VerdictKind, string, ReturnType<typeof connection>]> = [
    ["receiver_window_limited", "rwnd_share", incident()],
    ["receiver_window_limited", "tiny_window", incident({ c2s: { limits: null, small_window_share: 0.9 } })],
    [
      "receiver_window_limited",
      "zero_window",
      incident({ c2s: { zero_window_s: 1.5, limits: { busy_s: 3, rwnd: 0.4, cwnd: 0.1, app: 0.5 }, small_window_share: 0 } }),
    ],
    [
      "loss_limited",
      "loss",
      bulkHealthy({ c2s: { bytes_sent: 51_500_000, flags: { retransmission: 900, fast_retransmission: 200 }, limits: { busy_s: 1, rwnd: 0.1, cwnd: 0.85, app: 0.05 } } }),
    ],
    ["application_limited", "app_share", bulkHealthy({ c2s: { limits: { busy_s: 1, rwnd: 0.05, cwnd: 0.15, app: 0.8 } } })],
    [
      "sender_buffer_limited",
      "sndbuf_plateau",
      bulkHealthy({ c2s: { bytes_in_flight: stats(1448, 87000, 92000), rwnd_adv: stats(3_000_000, 3_000_000, 3_000_000), limits: { busy_s: 1, rwnd: 0, cwnd: 0.95, app: 0.05 } } }),
    ],
    [
      "congestion_limited",
      "cwnd_share",
      bulkHealthy({ c2s: { bytes_sent: 50_100_000, flags: { retransmission: 70 }, limits: { busy_s: 1, rwnd: 0.1, cwnd: 0.85, app: 0.05 } } }),
    ],
    ["healthy", "no_limit", bulkHealthy()],
    [
      "sender_limited",
      "sender_pace",
      bulkHealthy({ c2s: { limits: { busy_s: 1, rwnd: 0.05, cwnd: 0.15, app: 0.8, app_idle_gaps_s: [0.5, 0.2] } } }),
    ],
    [
      "application_limited",
      "peer_response",
      bulkHealthy({ c2s: { limits: { busy_s: 1, rwnd: 0.05, cwnd: 0.15, app: 0.8, app_peer_wait_s: 0.7 } } }),
    ],
    ["inconclusive", "no_data", connection()],
    ["inconclusive", "tiny_transfer", connection({ c2s: { packets: 1, bytes: 120, bytes_sent: 120, first_data_s: 0.1, last_data_s: 0.1, max_segment: 120 } })],
  ];
  const seen = new Set<VerdictKind>();
  for (const [kind, rule, ev] of cases) {
    const v = diagnoseConnection(ev);
    assert.equal(v.kind, kind, `${rule}: ${v.claim}`);
    assert.equal(v.rule.id, rule, `${kind}: ${v.claim}`);
    assert.ok(v.claim.length > 20, v.claim);
    assert.equal(v.fix === null, kind === "healthy" || kind === "inconclusive", `${kind} fix`);
    assert.equal(v.badness === 0, kind === "healthy" || kind === "inconclusive", `${kind} badness ${v.badness}`);
    assert.ok(v.confidence >= 0 && v.confidence <= 1, `${kind} confidence ${v.confidence}`);
    assert.ok("secondary" in v && "margin" in v);
    seen.add(kind);
  }
  assert.deepEqual([...seen].sort(), [...VERDICT_KINDS].sort(), "every kind is reachable");
  assert.ok(RULES.every((r) => (VERDICT_KINDS as readonly string[]).includes(r.kind)));
});

test("zero window blames the reader, not the buffer size", () => {
  const v = diagnoseConnection(incident({ c2s: { zero_window_s: 2, small_window_share: 0 } }));
  assert.equal(v.rule.id, "zero_window");
  assert.equal(v.fix?.side, "receiving_application");
  assert.match(v.fix!.text, /fell behind/);
});

test("both directions carry data: the dominant one is judged, the other mentioned", () => {
  const e = incident({ s2c: { packets: 50, bytes: 40000, bytes_sent: 40000, first_data_s: 3.01, last_data_s: 3.02, max_segment: 574, mss_syn: 574 } });
  const v = diagnoseConnection(e);
  assert.equal(v.direction, "c2s");
  assert.equal(v.other?.direction, "s2c");
  assert.equal(v.other?.bytes, 40000);
  assert.ok(v.notes.some((n) => /other direction \(10\.0\.0\.2:9876 → 10\.0\.0\.1:51234\) carried 39\.1 KiB/.test(n)), v.notes.join("; "));
});

test("handshake missing: raw windows are not bytes, the flight stands in for the window", () => {
  const v = diagnoseConnection(
    incident({ handshake_seen: false, irtt_ms: null, c2s: { rwnd_adv: stats(2, 2, 3), rwnd_scale: { shift: -1, source: "unknown" } } }),
  );
  assert.equal(v.kind, "receiver_window_limited");
  assert.equal(v.measures?.rwnd_median_bytes, null);
  assert.equal(v.model?.window_source, "in_flight_max");
  assert.ok(v.notes.some((n) => /window scale unknown/.test(n)));
});

test("no RTT at all: a verdict without a model, said so", () => {
  const v = diagnoseConnection(incident({ irtt_ms: null, c2s: { rtt_ms: null } }));
  assert.equal(v.kind, "receiver_window_limited");
  assert.equal(v.model, null);
  assert.ok(v.notes.some((n) => /no RTT/.test(n)));
});

test("a model that disagrees is flagged", () => {
  const v = diagnoseConnection(incident({ c2s: { last_data_s: 30 } }));
  assert.equal(v.model?.agrees, false);
  assert.ok(v.notes.some((n) => /disagree/.test(n)));
});

test("thresholds are data: overriding one changes the verdict", () => {
  const e = incident({ c2s: { limits: { busy_s: 3, rwnd: 0.4, cwnd: 0.6, app: 0 }, small_window_share: 0.4, rwnd_adv: stats(65535, 65535, 65535) } });
  // In flight flat at 1148 B under a 64 KiB window, nothing lost: the sender's buffer.
  assert.equal(diagnoseConnection(e).kind, "sender_buffer_limited");
  // No plateau rule: the window's share (0.4) is still material, but a 64 KiB window at 1.66 ms
  // could carry 57× what moved (window_bound_ratio > 4), so the window did not set the pace either.
  assert.equal(diagnoseConnection(e, { thresholds: { sndbuf_flight_plateau: 1.01 } }).kind, "healthy");
  // The window's share first (0.45, below rwnd_half_share) and a counterfactual relaxed: the window.
  const w = incident({ c2s: { limits: { busy_s: 3, rwnd: 0.45, cwnd: 0.3, app: 0.25 }, small_window_share: 0.4, rwnd_adv: stats(65535, 65535, 65535) } });
  assert.equal(diagnoseConnection(w, { thresholds: { sndbuf_flight_plateau: 1.01 } }).kind, "healthy");
  assert.equal(diagnoseConnection(w, { thresholds: { sndbuf_flight_plateau: 1.01, window_bound_factor: 100 } }).kind, "receiver_window_limited");
});

test("a flat flight of 3–4 segments is a plateau; a slow-start ramp is not", () => {
  // As captured through tcpwin lab link with SO_SNDBUF 4096 (tb 8192) and GSO off: in flight
  // alternates 4344/5792 B (3/4 × 1448), max 6168 B; median/max alone is 0.70.
  const flat = { bytes_in_flight: stats(1448, 4344, 6168), rwnd_adv: stats(68608, 81920, 81920), limits: { busy_s: 1.3, rwnd: 0, cwnd: 0.99, app: 0.01 } };
  const v = diagnoseConnection(bulkHealthy({ c2s: flat }));
  assert.equal(v.kind, "sender_buffer_limited", v.claim);
  assert.ok(Math.abs(v.measures!.flight_plateau! - (4344 + 1448) / 6168) < 1e-9);
  // Slow start with no loss: in flight doubles each round trip, median half the max.
  const ramp = diagnoseConnection(bulkHealthy({ c2s: { ...flat, bytes_in_flight: stats(1448, 7240, 14480) } }));
  assert.equal(ramp.kind, "healthy", ramp.claim);
});

test("ordering: bytes × badness, then bytes, then stream", () => {
  const big = bulkHealthy({ stream: 0 }); // 50 MB healthy
  const slow = incident({ stream: 1 }); // 2 MB window-limited
  const idle = connection({ stream: 2 });
  const small = incident({ stream: 3, c2s: { bytes: 100_000, bytes_sent: 100_000, last_data_s: 0.2 } });
  const order = diagnoseAll([idle, big, small, slow]).map((d) => d.evidence.stream);
  assert.deepEqual(order, [1, 3, 0, 2]);
});

test("verdicts are plain JSON (no functions, no cycles) and stable", () => {
  const v = diagnoseConnection(incident(), { deadlineSec: 3 });
  assert.deepEqual(JSON.parse(JSON.stringify(v)), v);
  assert.deepEqual(diagnoseConnection(incident(), { deadlineSec: 3 }), v);
});

test("a window of at most two segments that the sender filled is the limit even when other waits dominate", () => {
  // iperf3 -w 4K: both ends' buffers are tiny, so the sender's own refills show as "app" time.
  const e = incident({ c2s: { limits: { busy_s: 0.006, rwnd: 0.07, cwnd: 0.04, app: 0.89 }, small_window_share: 0.27, rwnd_adv: stats(1148, 1148, 1148) } });
  const v = diagnoseConnection(e);
  assert.equal(v.kind, "receiver_window_limited");
  assert.equal(v.rule.id, "tiny_window");
  assert.ok(v.notes.some((n) => /nothing to send for 89 %/.test(n)), v.notes.join("; "));
  // Without a single window_full the same shares are the application's.
  const noFull = incident({ c2s: { flags: {}, limits: { busy_s: 0.006, rwnd: 0.07, cwnd: 0.04, app: 0.89 }, small_window_share: 0.27 } });
  assert.equal(diagnoseConnection(noFull).kind, "application_limited");
});

test("a capture that missed most of a direction's payload gets no verdict of its own", () => {
  // The RocketMQ consumer fixture's shape: 3 of ~16 segments captured, 4 s apart, a flat 352 B
  // "in flight": the gaps, not the sender's buffer, make it look capped.
  const sparse = bulkHealthy({
    c2s: {
      bytes: 5330,
      bytes_sent: 1056,
      max_segment: 352,
      bytes_in_flight: stats(352, 352, 352, 3),
      rwnd_adv: stats(1401, 1401, 1401, 3),
      limits: { busy_s: 20, rwnd: 0, cwnd: 0.8, app: 0.2 },
    },
  });
  const v = diagnoseConnection(sparse);
  assert.equal(v.kind, "inconclusive");
  assert.equal(v.rule.id, "sparse_capture");
  assert.equal(v.title, "too little captured");
  assert.ok(Math.abs(v.rule.value! - 1056 / 5330) < 1e-9);
  assert.match(v.claim, /only 1\.03 KiB of the 5\.21 KiB 10\.0\.0\.1:40000 sent are in the capture \(20 %\)/);
  assert.equal(v.fix, null);
  // Half captured is enough to judge; a zero window seen is evidence however sparse the rest.
  assert.notEqual(diagnoseConnection(bulkHealthy({ c2s: { ...sparse.c2s, bytes_sent: 2665 } })).rule.id, "sparse_capture");
  const zw = diagnoseConnection(bulkHealthy({ c2s: { ...sparse.c2s, zero_window_s: 10, limits: { busy_s: 20, rwnd: 0.6, cwnd: 0.3, app: 0.1 } } }));
  assert.equal(zw.kind, "receiver_window_limited");
});
