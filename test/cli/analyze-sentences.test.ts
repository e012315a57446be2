/**
 * `tcpwin analyze` sentences on a capture made for them (issue 9, item 7): segments merged by
 * GRO/TSO (2920 B under an MSS of 1460) behind a 5840-byte window — the small-window claim is
 * counted in the largest segment and must say so, not "≤ 2920 B (2 × MSS 1460)", which that window
 * never was; iperf3's port gets no RocketMQ line; a deadline already met gets no fix.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TcpScript } from "../support/tcp-script.js";
import { runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "tcpwin-sentences-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

/** 200 round trips of two 2920-byte (2 × MSS) segments filling a 5840-byte window, 1 ms RTT. */
function groCapture(port: number): string {
  const s = new TcpScript(1000, 50000, false, [40000, port]);
  s.handshake({ ws0: 0, ws1: 0, win1: 5840 });
  for (let i = 0; i < 200; i++) {
    s.data(0, 2920, { dt: 0.0001 });
    s.data(0, 2920, { dt: 0.00001 });
    s.ack(1, { dt: 0.001, win: 5840 });
  }
  s.fin(0).fin(1);
  const f = join(dir, `gro-${port}.pcap`);
  s.write(f);
  return f;
}

test("analyze: a small window counted in GRO-merged segments is stated in them; no RocketMQ on port 5201", () => {
  const f = groCapture(5201);
  const r = runCli(["analyze", f]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /MSS \(SYN\) \/ largest +1460 \/ 2920/);
  assert.match(r.stdout, /RECEIVER WINDOW LIMITED/);
  const flat = r.stdout.replace(/\n {2}\s+/g, " ");
  assert.match(flat, /advertised ≤ 5840 B \(2 × the largest segment, 2920 B; MSS 1460: the capture holds segments merged by GRO\/TSO, 2\.0 × MSS\) for 100 % of the transfer \(median 5840 B\)/);
  assert.doesNotMatch(flat, /2 × MSS 1460/);
  assert.match(flat, /fix +Raise the receiver's SO_RCVBUF on 10\.9\.0\.2:5201/);
  assert.doesNotMatch(r.stdout, /RocketMQ|SocketRcvBufSize/);
  const j = JSON.parse(runCli(["analyze", f, "--json", "--deadline", "100ms"]).stdout);
  assert.equal(j.connections[0].verdict.fix.rocketmq, null);
});

test("analyze --deadline already met: no fix, the note says it was met", () => {
  const f = groCapture(9876);
  const r = runCli(["analyze", f, "--deadline", "10s"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /RECEIVER WINDOW LIMITED/);
  assert.doesNotMatch(r.stdout, /^ {2}fix /m);
  assert.doesNotMatch(r.stdout, /Raise the receiver's SO_RCVBUF/);
  assert.match(r.stdout, /note +deadline 10\.00 s met: the data took [\d.]+ ms; nothing needs fixing to meet it/);
  const j = JSON.parse(runCli(["analyze", f, "--json", "--deadline", "10s"]).stdout);
  assert.equal(j.connections[0].verdict.fix, null);
  // Missed: the fix, with RocketMQ's key on its name server's port.
  const missed = runCli(["analyze", f, "--deadline", "100ms"]);
  assert.match(missed.stdout.replace(/\n {2}\s+/g, " "), /fix +Raise the receiver's SO_RCVBUF on 10\.9\.0\.2:9876 to ≥ \d+ .*RocketMQ \(name server on port 9876\): serverSocketRcvBufSize=\d+/);
});
