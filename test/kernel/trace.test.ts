/**
 * tcpwin trace: the strace parser on a recorded trace (test/kernel/fixtures/strace-python-sockopts.*,
 * strace 6.1 -f -yy -ttt of the .py beside it) and on hand-made hard lines; then real runs under
 * strace — a command with threads and a forked child, attaching to a running process, the program's
 * own read-back against our computed effective values, refusal as nobody, strace missing.
 */
import { test, afterEach } from "node:test";
import { NET_TEST_TIMEOUT_MS } from "../support/tools.js";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { StraceParser, splitArgs, parseFdToken, parseSockaddr, describeSocket, effectiveValue } from "../../src/kernel/strace.js";
import { traceSockopts, TraceError } from "../../src/kernel/trace.js";
import { nobodySkipReason } from "../support/unprivileged.js";
import { runCli, ROOT } from "../cli/run-cli.js";

const LIM = { rmemMax: 4194304, wmemMax: 4194304 };
const haveStrace = spawnSync("strace", ["-V"], { stdio: "ignore", timeout: 30_000, killSignal: "SIGKILL" }).status === 0;
const python = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "pass"], { stdio: "ignore", timeout: 30_000, killSignal: "SIGKILL" }).status === 0);
const skipLive = !haveStrace ? "strace is not installed (apt-get install strace)" : !python ? "python3 missing" : false;
const isRoot = process.getuid?.() === 0;

test("recorded trace: listener, thread's client, accepted socket, forked child's IPv6 socket", () => {
  const p = new StraceParser(LIM);
  for (const l of readFileSync(new URL("./fixtures/strace-python-sockopts.txt", import.meta.url), "utf8").split("\n")) p.feed(l);
  p.finish();
  assert.deepEqual(p.unparsed, []);
  const sets = p.events.filter((e) => e.call === "setsockopt");
  assert.deepEqual(
    sets.map((e) => [e.option, e.value, e.effective]),
    [
      ["SO_RCVBUF", 1024, 2304],
      ["TCP_MAXSEG", 574, 574],
      ["SO_SNDBUF", 100000, 200000],
      ["TCP_WINDOW_CLAMP", 500, 1152],
      ["SO_RCVBUF", 99999999, 8388608],
    ],
  );
  const [rcv, , snd, clamp, v6] = sets;
  assert.equal(describeSocket(rcv!.socket), "TCP listener 127.0.0.1:47369", "known once it listens");
  assert.equal(rcv!.socketAtCall.role, "created");
  assert.match(rcv!.effectiveNote!, /read back by the program: same/);
  assert.notEqual(snd!.tid, 1606, "set by the client thread");
  assert.equal(describeSocket(snd!.socket), "TCP (local port not seen) → 127.0.0.1:47369");
  assert.equal(describeSocket(clamp!.socket), "TCP 127.0.0.1:47369 ← 127.0.0.1:34216 (accepted from listener 127.0.0.1:47369)");
  assert.equal(describeSocket(v6!.socket), "TCPv6 bound [::1]:0");
  assert.match(v6!.effectiveNote!, /capped by rmem_max/);
  const get = p.events.find((e) => e.call === "getsockopt")!;
  assert.equal(get.value, 2304);
});

test("hard lines: unfinished/resumed across threads, quotes and brackets, failures, EINPROGRESS, garbage", () => {
  const p = new StraceParser(LIM, (tid) => (tid === 11 ? 10 : tid));
  const lines = [
    `10 1.000001 socket(AF_INET6, SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP) = 7<TCPv6:[900]>`,
    `10 1.000002 setsockopt(7<TCPv6:[900]>, SOL_SOCKET, SO_RCVBUF, [65536], 4 <unfinished ...>`,
    `11 1.000003 setsockopt(7<TCPv6:[900]>, SOL_SOCKET, SO_RCVBUFFORCE, [1048576], 4) = -1 EPERM (Operation not permitted)`,
    `10 1.000004 <... setsockopt resumed>) = 0`,
    `11 1.000005 connect(7<TCPv6:[900]>, {sa_family=AF_INET6, sin6_port=htons(9876), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::7", &sin6_addr), sin6_scope_id=0}, 28) = -1 EINPROGRESS (Operation now in progress)`,
    `10 1.000006 setsockopt(7<TCPv6:[[2001:db8::1]:40000->[2001:db8::7]:9876]>, SOL_TCP, TCP_NODELAY, [1], 4) = 0`,
    `10 1.000007 setsockopt(7<TCPv6:[[2001:db8::1]:40000->[2001:db8::7]:9876]>, SOL_TCP, TCP_MAXSEG, [574], 4) = 0`,
    `strace: Process 10 attached`,
    `10 1.000008 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---`,
    `10 1.000009 +++ exited with 0 +++`,
    `12 1.000010 getsockopt(3<UNIX:[1234]>, SOL_SOCKET, SO_RCVBUF, [212992], [4]) = 0`,
    `12 1.000011 setsockopt(5<TCP:[77]>, SOL_SOCKET, SO_SNDBUF, [1024], 4 <unfinished ...>`,
  ];
  for (const l of lines) p.feed(l);
  p.finish();
  const ev = p.events;
  assert.deepEqual(
    ev.map((e) => [e.tid, e.pid, e.option, e.ok]),
    [
      [11, 10, "SO_RCVBUFFORCE", false],
      [10, 10, "SO_RCVBUF", true],
      [10, 10, "TCP_MAXSEG", true],
      [12, 12, "SO_RCVBUF", true],
    ],
  );
  assert.equal(ev[0]!.result, "-1 EPERM (Operation not permitted)");
  assert.equal(ev[0]!.effective, undefined);
  assert.equal(describeSocket(ev[1]!.socket), "TCPv6 [2001:db8::1]:40000 → [2001:db8::7]:9876");
  assert.equal(ev[2]!.socketAtCall.role, "connected");
  assert.equal(p.unparsed.length, 2, "the 'strace:' line and the call cut off at the end");
  assert.deepEqual(splitArgs(`3, {a="x,)", b=[1, 2]}, inet_pton(AF_INET6, "::1", &x), [4]`), [`3`, `{a="x,)", b=[1, 2]}`, `inet_pton(AF_INET6, "::1", &x)`, `[4]`]);
  assert.deepEqual(parseFdToken("5<TCP:[127.0.0.1:9876->10.0.0.7:5555]>"), { fd: 5, proto: "TCP", local: "127.0.0.1:9876", peer: "10.0.0.7:5555" });
  assert.equal(parseSockaddr(`{sa_family=AF_INET, sin_port=htons(9876), sin_addr=inet_addr("10.0.0.7")}`), "10.0.0.7:9876");
  assert.equal(effectiveValue("SO_SNDBUF", 1000, LIM)!.value, 4608);
  assert.equal(effectiveValue("SO_RCVBUFFORCE", 8e6, LIM)!.value, 16e6);
});

const SERVER = `
import socket, sys, time, os, threading
print(os.getpid(), flush=True)
time.sleep(float(sys.argv[1]))
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024); l.bind(("127.0.0.1", 0)); l.listen(1)
got = {}
def cl():
    c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 3000); c.connect(l.getsockname())
    got["sndbuf"] = c.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF); got["c"] = c
t = threading.Thread(target=cl); t.start()
a, _ = l.accept(); t.join()
print("rcvbuf", a.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF), flush=True)
print("sndbuf", got["sndbuf"], flush=True)
time.sleep(float(sys.argv[2]))
`;

let child: ChildProcess | undefined;
// Each test's child is killed after it, passed or failed (a failed one would otherwise run on).
afterEach(() => {
  child?.kill("SIGKILL");
});

test("trace -- CMD: events as JSON, effective values equal what the program reads back", { skip: skipLive, timeout: NET_TEST_TIMEOUT_MS }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-t-trace-"));
  try {
    const out = join(dir, "r.json");
    const r = runCli(["trace", "--json", "--output", out, "-q", "--", python!, "-c", SERVER, "0", "0"]);
    assert.equal(r.status, 0, r.stderr);
    const readBack = Object.fromEntries(r.stdout.trim().split("\n").slice(1).map((l) => l.split(" ")).map(([k, v]) => [k!, Number(v)]));
    const rep = JSON.parse(readFileSync(out, "utf8")) as { exit_code: number; events: { call: string; option: string; value: number; effective: number; tid: number; pid: number; socket: { text: string; role: string } }[] };
    assert.equal(rep.exit_code, 0);
    const rcv = rep.events.find((e) => e.call === "setsockopt" && e.option === "SO_RCVBUF")!;
    const snd = rep.events.find((e) => e.call === "setsockopt" && e.option === "SO_SNDBUF")!;
    assert.equal(rcv.effective, readBack.rcvbuf, "the accepted socket inherits the listener's 2304");
    assert.equal(snd.effective, readBack.sndbuf, "SO_SNDBUF 3000 → 6000");
    assert.equal(rcv.socket.role, "listening");
    assert.notEqual(snd.tid, snd.pid, "set by a thread, reported with its process");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("trace --pid: attach to a running process and see its calls", { skip: skipLive || (!isRoot && "attaching needs root here"), timeout: NET_TEST_TIMEOUT_MS }, async () => {
  child = spawn(python!, ["-c", SERVER, "1.5", "3"], { stdio: ["ignore", "pipe", "inherit"] });
  const pid = Number(await new Promise<string>((res) => createInterface({ input: child!.stdout! }).once("line", res)));
  const events: string[] = [];
  const r = await traceSockopts({ pid, durationSec: 3, onEvent: (e) => events.push(`${e.call} ${e.option}`) });
  child.kill();
  assert.ok(events.includes("setsockopt SO_RCVBUF"), events.join(", "));
  assert.ok(events.includes("setsockopt SO_SNDBUF"));
  assert.equal(r.exitCode, null);
});

test("trace --pid as nobody on a root process: a clear refusal, exit 1", { skip: skipLive || nobodySkipReason(), timeout: NET_TEST_TIMEOUT_MS }, async () => {
  child = spawn(python!, ["-c", SERVER, "30", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const pid = Number(await new Promise<string>((res) => createInterface({ input: child!.stdout! }).once("line", res)));
  const r = spawnSync("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, "--import", "tsx", "src/cli/entry.ts", "trace", "--pid", String(pid), "--duration", "2s"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, HOME: "/tmp", NO_COLOR: "1" },
    timeout: 30_000, killSignal: "SIGKILL",
  });
  child.kill();
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /could not attach to pid \d+: .*(not permitted|Operation not permitted).*ptrace/);
});

test("trace -- CMD exits with the program's status, and 128 + n when a signal killed it", { skip: skipLive, timeout: NET_TEST_TIMEOUT_MS }, () => {
  const f = runCli(["trace", "-q", "--", "false"]);
  assert.equal(f.status, 1, f.stderr);
  assert.match(f.stdout, /tcpwin trace: false \(exit 1\)/);
  assert.equal(runCli(["trace", "-q", "--", "sh", "-c", "exit 7"]).status, 7);
  const k = runCli(["trace", "-q", "--json", "--", "sh", "-c", "kill -TERM $$"]);
  assert.equal(k.status, 128 + 15, k.stderr);
  const j = JSON.parse(k.stdout) as { exit_code: number; exit_signal: string | null; attached_pid: number | null };
  assert.deepEqual([j.exit_code, j.exit_signal, j.attached_pid], [143, "SIGTERM", null]);
  assert.equal(runCli(["trace", "-q", "--", "true"]).status, 0);
});

test("trace --pid after start-up: no 'kernel defaults' conclusion — calls before attaching are unseen, sockets --getsockopt reads them", { skip: skipLive || (!isRoot && "attaching needs root here"), timeout: NET_TEST_TIMEOUT_MS }, async () => {
  // The server sets SO_RCVBUF 1024 at once, then sleeps: attaching afterwards sees no call.
  child = spawn(python!, ["-c", SERVER, "0", "20"], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const seen: string[] = [];
  await new Promise<void>((res) => lines.on("line", (l) => (seen.push(l), l.startsWith("sndbuf") && res())));
  const pid = Number(seen[0]);
  const r = runCli(["trace", "--pid", String(pid), "--duration", "1s"]);
  child.kill();
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /kernel defaults/);
  assert.match(r.stdout, new RegExp(`Calls made before strace attached cannot be seen.*tcpwin sockets --pid ${pid} --getsockopt`));
});

test("strace missing, bad usage", { timeout: NET_TEST_TIMEOUT_MS }, async () => {
  await assert.rejects(traceSockopts({ command: ["true"], strace: "/nonexistent/strace" }), (e: unknown) => e instanceof TraceError && e.code === "strace_missing" && /apt-get install strace/.test(e.message));
  assert.equal(runCli(["trace"]).status, 2);
  assert.equal(runCli(["trace", "--pid", "1", "--", "true"]).status, 2);
  assert.equal(runCli(["trace", "--duration", "1s", "--", "true"]).status, 2);
  void fileURLToPath;
});
