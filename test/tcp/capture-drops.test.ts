/**
 * The capture's own drop counters reach the analysis: a pcapng whose Interface Statistics Block
 * says 86 968 packets were dropped must not come out with `warnings: []` (issue 9: dumpcap's ISB
 * said so, tcpwin said nothing). Crafted files through both read paths (in-thread and the reader
 * thread), a direction with most of its payload missing, and a real dumpcap capture whose ISB must
 * carry the counts dumpcap itself printed.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeCapture } from "../../src/tcp/index.js";
import { cat, epb, eth, idb, ipv4, isb, shb, tcp } from "../fixtures/capture/builders.js";
import { cleanupTemp, tempFile } from "../fixtures/capture/read-all.js";
import { createVethPair, netnsSkipReason } from "../support/netns.js";

after(cleanupTemp);

const SYN = 0x02, ACK = 0x10, PSH = 0x18;
const c2s = (seq: number, ack: number, flags: number, payload = 0) =>
  eth(0x0800, ipv4(tcp({ sport: 40000, dport: 9876, seq, ack, flags, payload }), { src: "10.0.0.1", dst: "10.0.0.2" }));
const s2c = (seq: number, ack: number, flags: number, payload = 0) =>
  eth(0x0800, ipv4(tcp({ sport: 9876, dport: 40000, seq, ack, flags, payload }), { src: "10.0.0.2", dst: "10.0.0.1" }));

function file(opts: { ifdrop?: bigint; gap?: boolean }): string {
  const frames = [c2s(100, 0, SYN), s2c(500, 101, SYN | ACK), c2s(101, 501, ACK)];
  let seq = 101;
  for (let i = 0; i < 20; i++) {
    if (opts.gap && i >= 2 && i < 18) {
      seq += 1000; // never captured
      continue;
    }
    frames.push(c2s(seq, 501, PSH, 1000));
    seq += 1000;
    frames.push(s2c(501, seq, ACK));
  }
  const blocks = [shb(true), idb(true, 1, 0), ...frames.map((f, i) => epb(true, 0, 1_700_000_000_000_000n + BigInt(i) * 100n, f))];
  if (opts.ifdrop !== undefined) blocks.push(isb(true, 0, { ifrecv: 27n, ifdrop: opts.ifdrop }));
  return tempFile(cat(...blocks), "drops.pcapng");
}

for (const readWorker of [false, true]) {
  test(`ISB drops → result.capture and a warning (readWorker ${readWorker})`, () => {
    const r = analyzeCapture(file({ ifdrop: 86_968n }), { readWorker });
    assert.equal(r.error, null);
    assert.deepEqual(r.capture, {
      dropped: 86_968,
      source: "interface_statistics",
      isb_ifrecv: 27,
      isb_ifdrop: 86_968,
      isb_osdrop: null,
      epb_dropcount: null,
    });
    assert.deepEqual(r.warnings, [
      { code: "capture_drops", message: "the capture says 86968 packets were dropped (interface stats): timings and shares may miss events" },
    ]);
  });

  test(`an ISB saying 0 dropped, and a pcapng without ISB: no warning (readWorker ${readWorker})`, () => {
    let r = analyzeCapture(file({ ifdrop: 0n }), { readWorker });
    assert.deepEqual([r.capture.dropped, r.capture.source, r.warnings], [0, "interface_statistics", []]);
    r = analyzeCapture(file({}), { readWorker });
    assert.deepEqual([r.capture.dropped, r.capture.source, r.warnings], [null, null, []]);
  });

  test(`a direction with under 90 % of its payload captured is warned about (readWorker ${readWorker})`, () => {
    const r = analyzeCapture(file({ gap: true }), { readWorker });
    assert.equal(r.connections[0]!.c2s.bytes, 20_000);
    assert.equal(r.connections[0]!.c2s.bytes_sent, 4_000);
    assert.deepEqual(r.warnings, [
      {
        code: "captured_share_low",
        message:
          "a direction of data is under 90 % in the capture (stream 0 10.0.0.1:40000 → 10.0.0.2:9876 has 20 % of its 20000 payload bytes): packets were missed (drops, or a capture filter); timings and shares may miss events",
      },
    ]);
  });
}

const dumpcapSkip = netnsSkipReason(["ip", "ethtool", "iperf3", "dumpcap"]);
test("a real dumpcap pcapng: the ISB's counters are the ones dumpcap printed", { skip: dumpcapSkip ?? false, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-dumpcap-"));
  const pair = createVethPair();
  try {
    const out = join(dir, "f.pcapng");
    // -s 128: headers only, so the file stays small; -q: only the summary on stderr.
    const dump = pair.spawn(pair.nsA, "dumpcap", ["-q", "-i", pair.devA, "-s", "128", "-w", out, "-f", "tcp"]);
    let log = "";
    dump.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    const until = Date.now() + 10_000;
    while (!/Capturing on/.test(log) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.match(log, /Capturing on/, `dumpcap did not start: ${log}`);
    await pair.iperf(pair.ipB, ["-n", "20M"]);
    await new Promise((r) => setTimeout(r, 300));
    dump.kill("SIGINT");
    await new Promise((r) => (dump.exitCode !== null ? r(null) : dump.once("exit", r)));
    const m = /Packets received\/dropped on interface '[^']+': (\d+)\/(\d+)/.exec(log);
    assert.ok(m, `dumpcap's summary line: ${log}`);
    const r = analyzeCapture(out);
    assert.equal(r.format, "pcapng");
    assert.equal(r.capture.source, "interface_statistics");
    assert.equal(r.capture.isb_ifrecv, Number(m[1]));
    assert.equal(r.capture.isb_ifdrop, Number(m[2]));
    assert.equal(r.capture.dropped, Number(m[2]) + (r.capture.isb_osdrop ?? 0));
    assert.equal(r.warnings.some((w) => w.code === "capture_drops"), r.capture.dropped! > 0);
    // capinfos (tshark's sibling) reads the same file: one stats entry for the interface.
    try {
      assert.match(execFileSync("capinfos", [out], { encoding: "utf8" }), /Number of stat entries = 1/);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  } finally {
    pair.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
