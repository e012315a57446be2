/** `tcpwin rocketmq config` as a user runs it: text, --json keyed by the four names, exit statuses. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "tcpwin-rmq-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const INCIDENT = ["--jvm", "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576", "--version", "4.9.2", "--rtt", "1.66ms", "--mss", "574", "--body-size", "2079208", "--timeout", "3s", "--kernel", "6.18"];

test("rocketmq config: the incident's name server, text", () => {
  const ns = file("ns.conf", "# incident\nlistenPort=9876\nserverSocketRcvBufSize=1024\n");
  const r = runCli(["rocketmq", "config", "--namesrv", ns, ...INCIDENT]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /serverSocketRcvBufSize\s+1024\s+file\s+1024\s+rb 2304, window 1148 SYN-ACK \/ 574 steady, wscale 0/);
  assert.match(r.stdout, /clientSocketRcvBufSize\s+1048576\s+jvm/);
  assert.match(r.stdout, /serverSocketSndBufSize\s+65535\s+default/);
  assert.match(r.stdout, /overrides -Dcom\.rocketmq\.remoting\.socket\.rcvbuf\.size=1048576: the file wins/);
  assert.match(r.stdout, /a 2 079 208-byte body needs ≈ 6\.\d\d s with this window .*over the 3000 ms timeout/);
});

test("rocketmq config --json: keyed by the four names, each { value, source }", () => {
  const ns = file("ns2.conf", "serverSocketRcvBufSize=1024 \nserverSocketSndBufSize : 4096\n");
  const r = runCli(["rocketmq", "config", "--namesrv", ns, ...INCIDENT, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(
    ["serverSocketRcvBufSize", "serverSocketSndBufSize", "clientSocketRcvBufSize", "clientSocketSndBufSize"].map((k) => [j[k].value, j[k].source]),
    [[1048576, "jvm"], [4096, "file"], [1048576, "jvm"], [65535, "default"]],
  );
  assert.deepEqual(j.serverSocketRcvBufSize.ignored_file_value, { line: 1, raw: "1024 ", reason: 'trailing whitespace " " at offset 4' });
  assert.equal(j.serverSocketRcvBufSize.transfer.over_timeout, false);
  assert.ok(j.findings.some((f: { code: string }) => f.code === "file_value_ignored"));
  assert.equal(j.version, "4.9.2");
});

test("rocketmq config: the broker from 4.9.3 lets the kernel autotune; a -D that breaks start-up", () => {
  const r = runCli(["rocketmq", "config", "--role", "broker", "--version", "4.9.3", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual([j.clientSocketSndBufSize.value, j.clientSocketSndBufSize.applied, j.clientSocketSndBufSize.kernel_autotuning], [0, null, true]);
  const b = runCli(["rocketmq", "config", "--role", "broker", "--version", "4.9.2", "--jvm", "-Dcom.rocketmq.remoting.socket.sndbuf.size=64k"]);
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /error: -Dcom\.rocketmq\.remoting\.socket\.sndbuf\.size="64k": Integer\.parseInt rejects it .* the JVM does not start/);
});

test("rocketmq config: bad input exits 2 with the place named", () => {
  const bad = file("bad.conf", "listenPort=9876\nserverSocketRcvBufSize=\\u10x4\n");
  const r = runCli(["rocketmq", "config", "--namesrv", bad, "--version", "4.9.2"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bad\.conf: line 2, column 24: malformed \\uxxxx encoding/);
  for (const [args, msg] of [
    [["--namesrv", bad], /--version is required/],
    [["--version", "4.9.2"], /give --namesrv FILE, --broker FILE, or --role/],
    [["--namesrv", "a", "--broker", "b", "--version", "4.9.2"], /not both/],
    [["--namesrv", join(dir, "missing.conf"), "--version", "4.9.2"], /cannot read config file .*ENOENT/],
    [["--role", "broker", "--version", "four"], /expected a RocketMQ version/],
    [["--role", "broker", "--version", "4.9.2", "--jvm", "-Da='x"], /--jvm: unterminated/],
  ] as const) {
    const e = runCli(["rocketmq", "config", ...args]);
    assert.equal(e.status, 2, `${args.join(" ")}: ${e.stderr}`);
    assert.match(e.stderr, msg);
  }
});
