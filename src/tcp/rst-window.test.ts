/**
 * A RST's window field is not an advertisement (Wireshark's ZERO WINDOW check skips SYN/FIN/RST
 * segments; Linux sends RSTs with Win=0). It must not enter the advertised-window stats, the
 * zero-window time, or the limit attribution — issue 9: "the window minimum counts RST packets'
 * Win=0 as a zero window".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TcpScript } from "../../test/support/tcp-script.js";
import { analyzeCapture } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "tcpwin-rst-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

test("the receiver's RST Win=0 is no zero window: rwnd_adv min, zero_window_s, limits unchanged by it", () => {
  const s = new TcpScript();
  s.handshake({ ws0: 0, ws1: 0, win1: 60000 });
  for (let i = 0; i < 10; i++) {
    s.data(0, 1000, { dt: 0.001 });
    s.ack(1, { dt: 0.001, win: 60000 });
  }
  // The server resets; the client, not knowing yet, sends once more 0.5 s later (and is reset again).
  s.rst(1, { dt: 0.001, win: 0 });
  s.data(0, 1000, { dt: 0.5 });
  s.rst(1, { dt: 0.001, win: 0, flags: 0 });
  const f = join(dir, "rst.pcap");
  s.write(f);
  const wins: number[] = [];
  const r = analyzeCapture(f, { onPacket: (p) => wins.push(p["tcp.window_size_value"]) });
  const c2s = r.connections[0]!.c2s;
  assert.equal(c2s.rwnd_adv?.min, 60000, "a RST's Win=0 is not the smallest advertised window");
  assert.equal(c2s.zero_window_s, 0);
  assert.ok(c2s.limits!.rwnd < 0.01, `rwnd share ${c2s.limits!.rwnd}: the time after the RST is not a zero window`);
  // Per packet we stay Wireshark's: the RST keeps its raw window and gets no zero_window flag.
  assert.deepEqual([wins.at(-3), wins.at(-1)], [0, 0]);
  assert.equal(r.connections[0]!.s2c.flags.zero_window ?? 0, 0);
});

test("a plain Win=0 ACK still is a zero window (the check is RST-only)", () => {
  const s = new TcpScript();
  s.handshake({ ws0: 0, ws1: 0, win1: 60000 });
  s.data(0, 1000, { dt: 0.001 });
  s.ack(1, { dt: 0.001, win: 0 });
  s.ack(1, { dt: 0.5, win: 60000 });
  s.data(0, 1000, { dt: 0.001 });
  s.ack(1, { dt: 0.001, win: 60000 });
  const f = join(dir, "zw.pcap");
  s.write(f);
  const { c2s, s2c } = analyzeCapture(f).connections[0]!;
  assert.equal(c2s.rwnd_adv?.min, 0);
  assert.ok(c2s.zero_window_s > 0.49, `zero window ${c2s.zero_window_s} s`);
  assert.equal(s2c.flags.zero_window, 1, "the receiver's packet carries the flag");
});
