/** `tcpwin lab namesrv` and `tcpwin lab broker` as a user runs them, on loopback. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NET_TEST_TIMEOUT_MS, skipUnless } from "../support/tools.js";
import { ROOT, runCli } from "./run-cli.js";

const ENTRY = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "tcpwin-lab-rmq-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("lab namesrv -c (file beats -D, the trap ignored) + lab broker: NDJSON on both sides, exit 0; a timeout exits 1", { skip: skipUnless("linux"), timeout: NET_TEST_TIMEOUT_MS }, async () => {
  const conf = join(dir, "namesrv.conf");
  writeFileSync(conf, "listenPort=1\nserverSocketRcvBufSize=1024\nserverSocketSndBufSize=65536 \n");
  const ns = spawn(process.execPath, ["--import", "tsx", ENTRY, "lab", "namesrv", "-c", conf, "--host", "127.0.0.1", "--port", "0", "--jvm", "-Dcom.rocketmq.remoting.socket.sndbuf.size=131072", "--json"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const kill = () => ns.kill("SIGKILL");
  process.once("exit", kill);
  let out = "";
  try {
    const first = await new Promise<Record<string, any>>((res, rej) => {
      ns.stdout.on("data", (b: Buffer) => {
        out += String(b);
        const nl = out.indexOf("\n");
        if (nl >= 0) res(JSON.parse(out.slice(0, nl)));
      });
      ns.once("exit", (c) => rej(new Error(`lab namesrv exited ${c}`)));
    });
    assert.equal(first.listening.listen_port_source, "option");
    assert.deepEqual([first.serverSocketRcvBufSize.value, first.serverSocketRcvBufSize.source], [1024, "file"]);
    assert.deepEqual([first.serverSocketSndBufSize.value, first.serverSocketSndBufSize.source], [131072, "jvm"]);
    assert.equal(first.listening.listener.effective.rcvbuf, 2304);
    const port = first.listening.port as number;
    const ok = runCli(["lab", "broker", `127.0.0.1:${port}`, "--topics", "10", "--count", "2", "--period", "100ms", "--timeout", "3s", "--json"], { timeout: 30_000 });
    assert.equal(ok.status, 0, ok.stderr);
    const regs = ok.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(regs.map((r) => [r.code, r.response_code, r.timed_out, r.topics]), [[103, 0, false, 10], [103, 0, false, 10]]);
    const slow = runCli(["lab", "broker", `127.0.0.1:${port}`, "--body-size", "2MB", "--timeout", "1ms"], { timeout: 30_000 });
    assert.equal(slow.status, 1, slow.stderr);
    assert.match(slow.stdout, /#1 REGISTER_BROKER opaque 0, .*TIMED OUT after .* \(timeout 1 ms\), channel closed/);
  } finally {
    const exited = new Promise((r) => ns.once("exit", r));
    ns.kill("SIGTERM");
    await exited;
    process.off("exit", kill);
  }
  // spawnSync held this process's event loop: the name server's lines are read by now.
  const ex = out.trim().split("\n").slice(1).map((l) => JSON.parse(l).exchange);
  assert.deepEqual(ex.slice(0, 2).map((e) => [e.name, e.response_code, e.topics]), [["REGISTER_BROKER", 0, 10], ["REGISTER_BROKER", 0, 10]]);
});

test("lab namesrv: a malformed config exits 1 with the line; lab broker: a bad address exits 2", () => {
  const bad = join(dir, "bad.conf");
  writeFileSync(bad, "serverSocketRcvBufSize=\\u12\n");
  const r = runCli(["lab", "namesrv", "-c", bad, "--port", "0"], { timeout: 30_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /bad\.conf: line 1, column 24: malformed \\uxxxx/);
  const b = runCli(["lab", "broker", "nowhere", "--topics", "1"], { timeout: 30_000 });
  assert.equal(b.status, 2);
  assert.match(b.stderr, /name server address "nowhere": expected host:port/);
});
