/**
 * RocketMQ's precedence (config file > -D > version default), its version defaults and overrides,
 * the trailing-space trap, and what the incident's settings cost (through src/model).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseJavaProperties } from "./java-properties.js";
import { parseJvmArgs, parseRocketmqVersion, resolveSocketBuffers, type RocketmqRole } from "./resolve.js";
import { lintSettings } from "./lint.js";

const v = (t: string) => parseRocketmqVersion(t)!;
const resolve = (role: RocketmqRole, version: string, file?: string, jvm = "") =>
  resolveSocketBuffers({ role, version: v(version), file: file === undefined ? undefined : parseJavaProperties(file), jvm: parseJvmArgs(jvm).props });

test("version defaults: 65535 to 4.9.2, 0 (autotuning) from 4.9.3, name server 4096 before 4.2.0, broker 131072 to 4.9.2", () => {
  const cases: [RocketmqRole, string, number, number | null][] = [
    ["namesrv", "4.1.0-incubating", 4096, 4096],
    ["namesrv", "4.2.0", 65535, 65535],
    ["namesrv", "4.9.2", 65535, 65535],
    ["namesrv", "4.9.3", 0, null],
    ["namesrv", "5.3.3", 0, null],
    ["broker", "4.0.0", 131072, 131072],
    ["broker", "4.9.2", 131072, 131072],
    ["broker", "4.9.3", 0, null],
    ["broker", "5.1.0", 0, null],
  ];
  for (const [role, ver, value, applied] of cases) {
    const r = resolve(role, ver);
    for (const s of Object.values(r)) {
      assert.equal(s.value, value, `${role} ${ver} ${s.name}`);
      assert.equal(s.applied, applied, `${role} ${ver} ${s.name}`);
      assert.equal(s.source, "default");
    }
  }
});

test("a -D replaces the default (and stops the broker's 131072 override); the file beats the -D", () => {
  const jvm = "-Xmx1g -Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576";
  const b = resolve("broker", "4.9.2", undefined, jvm);
  assert.deepEqual([b.serverSocketRcvBufSize.value, b.serverSocketRcvBufSize.source], [1048576, "jvm"]);
  assert.deepEqual([b.clientSocketRcvBufSize.value, b.clientSocketRcvBufSize.source], [1048576, "jvm"]);
  assert.deepEqual([b.serverSocketSndBufSize.value, b.serverSocketSndBufSize.source], [131072, "default"]);
  const n = resolve("namesrv", "4.9.2", "serverSocketRcvBufSize=1024\n", jvm);
  assert.deepEqual([n.serverSocketRcvBufSize.value, n.serverSocketRcvBufSize.source, n.serverSocketRcvBufSize.applied], [1024, "file", 1024]);
  assert.equal(n.serverSocketRcvBufSize.overriddenJvm, 1048576);
  assert.deepEqual([n.clientSocketRcvBufSize.value, n.clientSocketRcvBufSize.source], [1048576, "jvm"]);
  // Later -D wins, as java does.
  const twice = resolve("namesrv", "5.3.3", undefined, "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1 '-Dcom.rocketmq.remoting.socket.rcvbuf.size=2'");
  assert.equal(twice.serverSocketRcvBufSize.value, 2);
});

test("the trap: a file value Integer.parseInt rejects is ignored silently; the -D (or default) applies", () => {
  const n = resolve("namesrv", "4.9.2", "serverSocketRcvBufSize=1024 \n", "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576");
  const s = n.serverSocketRcvBufSize;
  assert.deepEqual([s.value, s.source, s.applied], [1048576, "jvm", 1048576]);
  assert.deepEqual(s.ignoredFileValue, { line: 1, raw: "1024 ", reason: 'trailing whitespace " " at offset 4' });
  const d = resolve("namesrv", "5.3.3", "serverSocketRcvBufSize = 64k");
  assert.deepEqual([d.serverSocketRcvBufSize.value, d.serverSocketRcvBufSize.source, d.serverSocketRcvBufSize.applied], [0, "default", null]);
});

test("a -D Integer.parseInt rejects stops the JVM (NettySystemConfig's static initializer)", () => {
  const n = resolve("namesrv", "5.3.3", "serverSocketRcvBufSize=1024", '-Dcom.rocketmq.remoting.socket.rcvbuf.size="1 MiB"');
  assert.equal(n.serverSocketRcvBufSize.value, null);
  assert.equal(n.serverSocketRcvBufSize.jvmFails?.raw, "1 MiB");
  const { findings } = lintSettings(n, { mss: 1448, family: "6.10+", timeoutMs: 3000 });
  assert.ok(findings.some((f) => f.code === "jvm_value_breaks_startup" && f.setting === "serverSocketRcvBufSize"));
});

test("≤ 0 means no setsockopt, whatever the version", () => {
  for (const ver of ["4.9.2", "5.0.0"]) {
    const n = resolve("namesrv", ver, "serverSocketRcvBufSize=0\nserverSocketSndBufSize=-1");
    assert.equal(n.serverSocketRcvBufSize.applied, null, ver);
    assert.equal(n.serverSocketSndBufSize.applied, null, ver);
    assert.equal(n.serverSocketRcvBufSize.source, "file");
  }
});

test("the incident's lint: 1024 in the file, 1 MiB in the -D, 2 079 208 B at 1.66 ms over a 3000 ms timeout", () => {
  const n = resolve("namesrv", "4.9.2", "serverSocketRcvBufSize=1024\n", "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576");
  const k = { mss: 574, rttSec: 0.00166, bodyBytes: 2079208, timeoutMs: 3000 };
  // The incident's kernel (pre-6.6): window 1148 → 2079208 / 1148 × 1.66 ms ≈ 3006 ms, just over.
  const old = lintSettings(n, { ...k, family: "pre-6.6" });
  const r = old.reports.serverSocketRcvBufSize;
  assert.equal(r.kernel!.windowSteady, 1148);
  assert.ok(r.transfer!.predicted_ms > 3000 && r.transfer!.predicted_ms < 3100, String(r.transfer!.predicted_ms));
  const over = old.findings.find((f) => f.code === "over_timeout")!;
  assert.match(over.message, /^at 1\.66 ms RTT a 2 079 208-byte body needs ≈ 3\.0\d s with this window \(1148 B steady, 1148 B in the SYN-ACK\): over the 3000 ms timeout; serverSocketRcvBufSize=\d+ or more/);
  assert.ok(old.findings.some((f) => f.code === "file_overrides_jvm"));
  // 6.10+: the steady window is one MSS, twice as slow.
  const now = lintSettings(n, { ...k, family: "6.10+" });
  assert.equal(now.reports.serverSocketRcvBufSize.kernel!.windowSteady, 574);
  assert.ok(now.reports.serverSocketRcvBufSize.transfer!.predicted_ms > 6000);
  // The fix: the -D value alone (file line removed) meets the timeout easily.
  const fixed = lintSettings(resolve("namesrv", "4.9.2", "", "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576"), { ...k, family: "6.10+" });
  assert.equal(fixed.reports.serverSocketRcvBufSize.transfer!.over_timeout, false);
  assert.ok(!fixed.findings.some((f) => f.severity === "error"));
});

test("misspelt and duplicate keys are flagged", () => {
  const text = "serverSocketRcvBufsize=1024\nserverSocketSndBufSize=1\nserverSocketSndBufSize=2\n";
  const file = parseJavaProperties(text);
  const s = resolveSocketBuffers({ role: "namesrv", version: v("4.9.2"), file, jvm: new Map() });
  const { findings } = lintSettings(s, { mss: 1448, family: "6.10+", timeoutMs: 3000 }, file);
  assert.ok(findings.some((f) => f.code === "misspelt_key" && /line 1/.test(f.message)));
  assert.ok(findings.some((f) => f.code === "duplicate_key" && /lines 2, 3/.test(f.message)));
  assert.equal(s.serverSocketRcvBufSize.source, "default");
  assert.equal(s.serverSocketSndBufSize.value, 2);
});

test("versions and -D words", () => {
  assert.deepEqual(parseRocketmqVersion("rocketmq-all-4.9.2"), { major: 4, minor: 9, patch: 2, text: "rocketmq-all-4.9.2" });
  assert.equal(parseRocketmqVersion("4.9"), undefined);
  const j = parseJvmArgs(`-Da=1 -Db -D"c=x y" -Xmx1g -Dd='q r'`);
  assert.deepEqual([...j.props.values()].map((p) => [p.key, p.value]), [["a", "1"], ["b", ""], ["c", "x y"], ["d", "q r"]]);
  assert.deepEqual(j.other, ["-Xmx1g"]);
  assert.throws(() => parseJvmArgs("-Da='x"), /unterminated/);
});
