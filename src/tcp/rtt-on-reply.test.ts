/**
 * An ack_rtt sample taken from an ACK that rode on the peer's response includes the peer's think
 * time (issue 9): such samples are kept out of `rtt_ms` (counted in `rtt_on_reply_ms`), while the
 * per-packet tcp.analysis.ack_rtt stays Wireshark's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TcpScript } from "../../test/support/tcp-script.js";
import { analyzeCapture } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "tcpwin-rtt-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

test("request/response: the response 100 ms later carries the ACK — not an RTT of 100 ms", () => {
  const s = new TcpScript();
  s.handshake({ ws0: 7, ws1: 7 });
  for (let i = 0; i < 5; i++) {
    s.data(0, 200, { dt: 0.01 }); // request
    s.data(1, 3000, { dt: 0.1 }); // the response 100 ms later, acknowledging the request
    s.ack(0, { dt: 0.001 }); // the client's pure ACK of the response, 1 ms later
  }
  const f = join(dir, "rr.pcap");
  s.write(f);
  const ackRtts: number[] = [];
  const r = analyzeCapture(f, {
    onPacket: (p) => {
      const v = p["tcp.analysis.ack_rtt"];
      if (v !== undefined) ackRtts.push(Number(v));
    },
  });
  const { c2s, s2c } = r.connections[0]!;
  // The requests' samples rode on the responses: out of rtt_ms, counted apart. What is left is the
  // SYN's, acknowledged by the SYN-ACK 0.1 ms later.
  assert.deepEqual([c2s.rtt_ms?.count, c2s.rtt_ms?.max.toFixed(3)], [1, "0.100"]);
  assert.equal(c2s.rtt_on_reply_ms?.count, 5);
  assert.ok(Math.abs(c2s.rtt_on_reply_ms!.median - 100) < 0.01, `${c2s.rtt_on_reply_ms!.median}`);
  // The responses were acknowledged by pure ACKs: a true round trip (1 ms here), plus the SYN-ACK's.
  assert.equal(s2c.rtt_ms?.count, 6);
  assert.ok(Math.abs(s2c.rtt_ms!.median - 1) < 0.01, `${s2c.rtt_ms!.median}`);
  assert.equal(s2c.rtt_on_reply_ms, null);
  // Per packet, ack_rtt is Wireshark's: the response's 0.1 s is still shown (handshake + 10 samples).
  assert.equal(ackRtts.filter((v) => Math.abs(v - 0.1) < 1e-6).length, 5);
  assert.equal(ackRtts.filter((v) => Math.abs(v - 0.001) < 1e-6).length, 5);
});

test("bulk data both ways: ACKs riding on data already in flight are still RTT samples", () => {
  const s = new TcpScript();
  s.handshake({ ws0: 7, ws1: 7 });
  // Both sides keep two segments outstanding; each data segment acknowledges the peer's older one.
  s.data(0, 1000, { dt: 0.001 });
  s.data(1, 1000, { dt: 0.0001, ack: s.nxt[0] - 1000 });
  for (let i = 0; i < 10; i++) {
    // Each acknowledges all but the peer's latest segment, its own previous one still unacknowledged.
    s.data(0, 1000, { dt: 0.001, ack: s.nxt[1] - 1000 });
    s.data(1, 1000, { dt: 0.001, ack: s.nxt[0] - 1000 });
  }
  const f = join(dir, "bidir.pcap");
  s.write(f);
  const { c2s } = analyzeCapture(f).connections[0]!;
  assert.ok((c2s.rtt_ms?.count ?? 0) >= 9, `kept ${c2s.rtt_ms?.count}, on reply ${c2s.rtt_on_reply_ms?.count}`);
});
