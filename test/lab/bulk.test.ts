/**
 * `tcpwin lab serve` / `lab send` as a user runs them (CLI from source, loopback only): the JSON
 * contract, requested vs effective buffers, and the errors for bad targets, garbage requests and
 * a peer that is not a tcpwin server.
 */
import { afterEach, test } from "node:test";
import { NET_TEST_TIMEOUT_MS } from "../support/tools.js";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
const ENV = { ...process.env, NO_COLOR: "1" };
const timeout = NET_TEST_TIMEOUT_MS;

/** Servers and senders these tests start: killed after each test, passed or failed. */
const children = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.clear();
});

function startServe(args: string[]): Promise<{ port: number; child: ReturnType<typeof spawn>; stdout: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY, "lab", "serve", "--host", "127.0.0.1", "--port", "0", ...args], { cwd: ROOT, env: ENV });
  children.add(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) resolve({ port: Number(m[1]), child, stdout: () => out, stderr: () => err });
    });
    child.once("exit", (code) => reject(new Error(`lab serve exited ${code}: ${err}`)));
  });
}

function send(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", ENTRY, "lab", "send", ...args], { cwd: ROOT, env: ENV, encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" });
}

test("serve --rcvbuf 1024 / send --rcvbuf 4096 --json: the contract fields, requested and effective buffers", { timeout }, async () => {
  const s = await startServe(["--rcvbuf", "1024", "--count", "2", "--json"]);
  try {
    const r = send([`127.0.0.1:${s.port}`, "--size", "300KB", "--rcvbuf", "4096", "--repeat", "2", "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 2);
    for (const [i, j] of lines.entries()) {
      for (const k of ["bytes", "elapsed_ms", "predicted_ms", "snd_wnd", "snd_mss"]) assert.ok(k in j, k);
      assert.equal(j.index, i);
      assert.equal(j.bytes, 300_000);
      assert.ok(j.elapsed_ms > 0 && j.predicted_ms > 0);
      assert.deepEqual(j.client.requested, { rcvbuf: 4096, sndbuf: null, mss: null });
      assert.equal(j.client.effective.rcvbuf, 8192);
      assert.equal(j.server.listener.requested.rcvbuf, 1024);
      assert.equal(j.server.rb, 2304, "accepted socket inherited the listener's SO_RCVBUF");
      assert.equal(j.server.rcv_wscale, 0);
      // Loopback MSS is ~65 k, so the 1152-byte SYN-ACK window halves the sender's segment.
      assert.equal(j.snd_mss, 576);
      assert.equal(j.snd_wnd, 576);
      assert.equal(typeof j.kernel.rwnd_limited_share, "number", "tcp_info rwnd_limited / busy_time (4.10+)");
      assert.equal(j.model.window_bytes, 576);
    }
    await new Promise((r) => s.child.once("exit", r));
    const served = s.stdout().trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(served.length, 2);
    assert.equal(served[0].bytes, 300_000);
  } finally {
    s.child.kill();
  }
});

test("a garbage request is refused with the bytes it had, and the server keeps serving", { timeout }, async () => {
  const s = await startServe(["--count", "1"]);
  try {
    await new Promise<void>((resolve) => {
      const c = net.connect(s.port, "127.0.0.1", () => c.end("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + "x".repeat(16)));
      c.on("close", () => resolve());
      c.on("error", () => resolve());
    });
    const r = send([`127.0.0.1:${s.port}`, "--size", "10KB"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /#1 10000 B/);
    await new Promise((r) => s.child.once("exit", r));
    assert.match(s.stderr(), /not a tcpwin lab request: bytes 0-7 are "GET \/ HT", expected "TCPWLAB1"/);
  } finally {
    s.child.kill();
  }
});

test("send: refused port, bad target, and a peer that is not a tcpwin server", { timeout }, async () => {
  const srv = net.createServer((c) => {
    c.once("data", () => c.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    c.on("error", () => {});
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    const refused = send(["127.0.0.1:1", "--size", "1KB"]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /connect to 127\.0\.0\.1 port 1: ECONNREFUSED/);
    assert.equal(refused.stderr.trim().split("\n").length, 1);
    const bad = send(["127.0.0.1:notaport"]);
    assert.equal(bad.status, 2);
    // Asynchronous: this process's event loop must keep running to answer.
    const http = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, ["--import", "tsx", ENTRY, "lab", "send", `127.0.0.1:${port}`, "--size", "1KB"], { cwd: ROOT, env: ENV });
      children.add(c);
      let stderr = "";
      c.stderr!.on("data", (d: Buffer) => (stderr += d));
      c.once("exit", (status) => resolve({ status, stderr }));
    });
    assert.equal(http.status, 1);
    assert.match(http.stderr, /closed the connection before its report|bytes 0-7 are "HTTP\/1\.1", expected "TCPWDONE"/);
  } finally {
    srv.close();
  }
});
