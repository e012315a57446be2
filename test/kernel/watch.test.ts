/**
 * `tcpwin watch` on a real transfer into a receiver with SO_RCVBUF=1024 and MSS 574 (python3
 * child): JSON Lines with the sender's rwnd-limited share, the peer's one-MSS window, and the
 * verdict receiver_window_limited on both ends; then the table renderer and bad options.
 */
import { test, afterEach } from "node:test";
import { NET_TEST_TIMEOUT_MS } from "../support/tools.js";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { runCli } from "../cli/run-cli.js";
import { renderWatchTable, type WatchRow } from "../../src/report/watch.js";
import { liveVerdict } from "../../src/diagnose/live-verdict.js";

const python = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "pass"], { stdio: "ignore", timeout: 30_000, killSignal: "SIGKILL" }).status === 0);
const skip = !python ? "python3 is not installed" : process.platform !== "linux" ? "Linux only" : false;

const SLOW = `
import socket, threading, time, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024); l.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 574)
l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.socket(); c.connect(l.getsockname()); a, _ = l.accept()
print(l.getsockname()[1], c.getsockname()[1], flush=True)
def rd():
    while a.recv(65536): pass
threading.Thread(target=rd, daemon=True).start()
end = time.time() + float(sys.argv[1])
while time.time() < end: c.send(b"x" * 65536)
`;

let child: ChildProcess | undefined;
// Each test's child is killed after it, passed or failed (a failed one would otherwise run on).
afterEach(() => {
  child?.kill("SIGKILL");
});

test("watch --json: the sender is receiver_window_limited by a one-MSS window, the receiver names its buffer", { skip, timeout: NET_TEST_TIMEOUT_MS }, async () => {
  child = spawn(python!, ["-c", SLOW, "20"], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((res) => createInterface({ input: child!.stdout! }).once("line", res));
  const [port, clientPort] = line.split(" ").map(Number);
  const r = runCli(["watch", "--port", String(port), "--interval", "300ms", "--duration", "2s", "--size", "2079208", "-p"]);
  child.kill();
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as WatchRow);
  assert.ok(rows.length >= 4, `rows: ${rows.length}`);
  const sender = rows.filter((x) => x.local === `127.0.0.1:${clientPort}`);
  const receiver = rows.filter((x) => x.local === `127.0.0.1:${port}`);
  assert.ok(sender.length >= 2 && receiver.length >= 2);
  for (const s of sender) {
    assert.equal(s.snd_wnd, 562, "one MSS (574 − 12 timestamp bytes)");
    assert.ok(s.acked_per_s! > 0);
    assert.equal(s.verdict?.kind, "receiver_window_limited", JSON.stringify(s.verdict));
    assert.match(s.verdict!.message, new RegExp(`peer 127\\.0\\.0\\.1:${port} advertises a 562 B window`));
    assert.ok(s.verdict!.eta!.at_rate_s! > 0);
    assert.equal(s.comm, "python3");
    assert.ok(s.busy_share! > 0.5);
  }
  for (const x of receiver) {
    assert.equal(x.rb, 2304);
    assert.equal(x.verdict?.kind, "receiver_window_limited");
    assert.match(x.verdict!.message, /we advertise only \d+ B .*rb 2304/);
  }
});

test("watch table: verdict under its connection, idle ones counted", () => {
  const id = (s: string) => s;
  const paint = { bold: id, dim: id, yellow: id, red: id, green: id };
  const row = (local: string, verdict: WatchRow["verdict"]): WatchRow => ({ ts: "", interval_s: 1, state: "ESTAB", local, peer: "10.0.0.7:9876", acked_per_s: 345000, busy_share: 1, rwnd_share: 0.7, sndbuf_share: 0, retrans: 0, snd_wnd: 574, snd_mss: 574, rtt_us: 1660, snd_cwnd: 10, verdict });
  const incident = liveVerdict({ intervalUs: 1e6, peer: "10.0.0.7:9876", busyUs: 1e6, rwndLimitedUs: 7e5, bytesAcked: 345_000, sndWnd: 574, sndMss: 574, rttUs: 1660 })!;
  const text = renderWatchTable([row("10.0.0.1:5000", { ...incident, message: "peer 10.0.0.7:9876 advertises a 574 B window", eta: { size_bytes: 2079208, at_rate_s: 6.03 } }), row("10.0.0.1:5001", null)], "header", paint, false);
  assert.match(text, /10\.0\.0\.1:5000 +10\.0\.0\.7:9876 .*345\.0kB\/s +100% +70% +0%/);
  assert.match(text, /receiver_window_limited: peer 10\.0\.0\.7:9876 advertises a 574 B window — 2079208 B: 6\.03 s at this rate/);
  assert.match(text, /1 idle connection\(s\) not shown/);
});

test("watch: bad options are usage errors (exit 2)", () => {
  assert.equal(runCli(["watch", "--interval", "0s", "--duration", "1s"]).status, 2);
  assert.equal(runCli(["watch", "--interval", "soon"]).status, 2);
  assert.equal(runCli(["watch", "--port", "70000"]).status, 2);
});
