/**
 * tcpwin's sock_diag client against ss (iproute2), on real loopback sockets a python3 child opens
 * with chosen buffers (test/kernel/helpers/socket-scenario.py): a listener with SO_RCVBUF=1024 and
 * MSS 574 whose accepted socket never reads (the sender ends rwnd-limited at a zero window), an
 * idle pair with SO_RCVBUF=65536, an IPv6 pair, and a TIME-WAIT entry. rb, tb, mss, cwnd, snd_wnd,
 * wscale, rwnd_limited and pid must match ss; rcv_wnd (which this ss does not print) must match
 * the socket's own getsockopt(TCP_INFO). One case runs as nobody.
 */
import { test, before, after } from "node:test";
import { NET_TEST_TIMEOUT_MS } from "../support/tools.js";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { listTcpSockets, type LiveSocket } from "../../src/kernel/sockets.js";
import { formatEndpoint } from "../../src/kernel/netlink.js";
import { decodeTcpInfo } from "../../src/kernel/tcp-info.js";
import { socketFacts, stateName } from "../../src/report/sockets.js";
import { liveSocketFlags } from "../../src/diagnose/live-flags.js";
import { machineLimits } from "../../src/cli/commands/sockets.js";
import { parseSs, type SsSocket } from "./helpers/ss-parse.js";
import { runCli } from "../cli/run-cli.js";
import { nobodySkipReason } from "../support/unprivileged.js";

const SCENARIO = fileURLToPath(new URL("./helpers/socket-scenario.py", import.meta.url));
const isRoot = process.getuid?.() === 0;
const haveSs = spawnSync("ss", ["-V"], { stdio: "ignore", timeout: 30_000, killSignal: "SIGKILL" }).status === 0;
const python = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "pass"], { stdio: "ignore", timeout: 30_000, killSignal: "SIGKILL" }).status === 0);
const skip = !haveSs ? "ss (iproute2) is not installed" : !python ? "python3 is not installed" : process.platform !== "linux" ? "Linux only" : false;

interface Scenario {
  pid: number;
  ports: Record<string, number>;
  sockets: { name: string; local: string; peer?: string; tcp_info: string; fd: number }[];
  time_wait: { local: string; peer: string };
}

let child: ChildProcess | undefined;
let sc: Scenario;

// The scenario every test below reads; they skip on the same reason, so returning here is not silent.
before(async () => {
  if (skip) return;
  child = spawn(python!, [SCENARIO], { stdio: ["pipe", "pipe", "inherit"] });
  const rl = createInterface({ input: child.stdout! });
  sc = await new Promise<Scenario>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("scenario did not start in 10 s")), 10_000);
    rl.once("line", (l) => {
      clearTimeout(t);
      resolve(JSON.parse(l) as Scenario);
    });
    child!.once("exit", (c) => reject(new Error(`scenario exited ${c}`)));
  });
}, { timeout: 60_000 });

after(() => {
  child?.stdin?.end();
  child?.kill("SIGKILL");
});

const key = (state: string, local: string, peer: string) => `${state} ${local} ${peer}`;
const ours = (s: LiveSocket) => key(stateName(s.state), formatEndpoint(s.family, s.src, s.sport), formatEndpoint(s.family, s.dst, s.dport));
const theirs = (s: SsSocket) => key(s.state, s.local, s.peer);

function scenarioPorts(): Set<number> {
  return new Set(Object.values(sc.ports));
}
function mine(list: LiveSocket[]): Map<string, LiveSocket> {
  const ports = scenarioPorts();
  return new Map(list.filter((s) => ports.has(s.sport) || ports.has(s.dport)).map((s) => [ours(s), s]));
}
function ssMine(text: string): Map<string, SsSocket> {
  const ports = scenarioPorts();
  const port = (ep: string) => Number(ep.slice(ep.lastIndexOf(":") + 1));
  return new Map(parseSs(text).filter((s) => ports.has(port(s.local)) || ports.has(port(s.peer))).map((s) => [theirs(s), s]));
}
/** ss's value must be ours before or ours after (the kernel may move between the two reads). */
function between(name: string, ssv: number | undefined, a: number | undefined, b: number | undefined): void {
  assert.ok(ssv === a || ssv === b, `${name}: ss ${ssv}, tcpwin ${a} (before) / ${b} (after)`);
}

test("every scenario socket, with rb, tb, mss, cwnd, snd_wnd, wscale, rwnd_limited and pid as ss shows them", { skip, timeout: NET_TEST_TIMEOUT_MS }, () => {
  const pre = mine(listTcpSockets({ owners: true, states: 0xffe }).sockets);
  const ssOut = spawnSync("ss", ["-tinmHpa"], { encoding: "utf8", maxBuffer: 1 << 30, timeout: 60_000, killSignal: "SIGKILL" });
  assert.equal(ssOut.status, 0, ssOut.stderr);
  const post = mine(listTcpSockets({ owners: true, states: 0xffe }).sockets);
  const ss = ssMine(ssOut.stdout);

  const v6 = sc.ports.c !== undefined;
  // 3 listeners + 2 pairs (+ IPv6 listener and pair) + TIME-WAIT + the accepted side of D in FIN-WAIT/CLOSE states or gone.
  assert.ok(ss.size >= (v6 ? 10 : 7), `ss saw ${ss.size} scenario sockets:\n${[...ss.keys()].join("\n")}`);
  for (const [k, s] of ss) {
    const a = pre.get(k);
    const b = post.get(k);
    assert.ok(a ?? b, `tcpwin misses ${k} (ss: ${s.raw})`);
    const x = (a ?? b)!;
    const y = (b ?? a)!;
    between(`${k} rb`, s.rb, x.skmem?.rcvbuf, y.skmem?.rcvbuf);
    between(`${k} tb`, s.tb, x.skmem?.sndbuf, y.skmem?.sndbuf);
    if (s.state === "TIME-WAIT") {
      assert.equal(x.inode, 0);
      assert.equal(x.pid, undefined, "a TIME-WAIT entry has no process");
      assert.equal(x.info, undefined, "TIME-WAIT carries no tcp_info");
      continue;
    }
    assert.deepEqual(x.pids ?? (x.pid !== undefined ? [x.pid] : []), s.pids, `${k} pid`);
    if (s.pids.length) assert.equal(x.comm, s.comm);
    if (s.state === "LISTEN") continue;
    assert.ok(x.info && y.info, `${k}: tcp_info`);
    between(`${k} mss`, s.mss, x.info.snd_mss, y.info.snd_mss);
    between(`${k} rcvmss`, s.rcvmss, x.info.rcv_mss, y.info.rcv_mss);
    between(`${k} advmss`, s.advmss, x.info.advmss, y.info.advmss);
    between(`${k} cwnd`, s.cwnd, x.info.snd_cwnd, y.info.snd_cwnd);
    // ss prints snd_wnd only when non-zero.
    between(`${k} snd_wnd`, s.snd_wnd ?? 0, x.info.snd_wnd, y.info.snd_wnd);
    if (s.wscale) {
      assert.deepEqual([x.info.snd_wscale, x.info.rcv_wscale], s.wscale, `${k} wscale`);
    }
    // ss: rwnd_limited / 1000 (integer ms), printed when non-zero.
    const lo = Math.floor((x.info.rwnd_limited ?? 0) / 1000);
    const hi = Math.floor((y.info.rwnd_limited ?? 0) / 1000);
    const ssv = s.rwnd_limited_ms ?? 0;
    assert.ok(ssv >= lo && ssv <= hi, `${k} rwnd_limited: ss ${ssv} ms, tcpwin ${lo}..${hi} ms`);
  }
  // The rwnd-limited sender really is one (the receiver never reads).
  const sender = sc.sockets.find((s) => s.name === "a_client")!;
  const snd = post.get(key("ESTAB", sender.local, sender.peer!));
  assert.ok(snd?.info?.rwnd_limited !== undefined && snd.info.rwnd_limited > 0, "a_client is rwnd-limited");
  assert.equal(snd.info.snd_wnd, 0, "its peer's window is closed");
});

test("rcv_wnd and tcp_info length agree with the socket's own getsockopt(TCP_INFO)", { skip, timeout: NET_TEST_TIMEOUT_MS }, () => {
  const list = mine(listTcpSockets().sockets);
  for (const s of sc.sockets) {
    const raw = Buffer.from(s.tcp_info, "hex");
    const own = decodeTcpInfo(raw);
    const k = s.peer ? key("ESTAB", s.local, s.peer) : undefined;
    const found = k ? list.get(k) : [...list.values()].find((x) => x.state === 10 && formatEndpoint(x.family, x.src, x.sport) === s.local);
    assert.ok(found?.info, `${s.name} listed with tcp_info`);
    assert.equal(found.info.length, raw.length, `${s.name}: tcp_info length`);
    if (s.peer) {
      assert.equal(found.info.rcv_wnd, own.rcv_wnd, `${s.name}: rcv_wnd`);
      assert.equal(found.info.rcv_wscale, own.rcv_wscale, `${s.name}: rcv_wscale`);
      assert.equal(found.info.snd_mss, own.snd_mss, `${s.name}: snd_mss`);
    }
  }
});

test("flags: the SO_RCVBUF=1024 listener, its accepted socket, and the starved sender", { skip, timeout: NET_TEST_TIMEOUT_MS }, () => {
  const m = machineLimits();
  const list = mine(listTcpSockets().sockets);
  const byName = (n: string) => {
    const s = sc.sockets.find((x) => x.name === n)!;
    return s.peer ? list.get(key("ESTAB", s.local, s.peer))! : [...list.values()].find((x) => x.state === 10 && formatEndpoint(x.family, x.src, x.sport) === s.local)!;
  };
  const kinds = (n: string) => liveSocketFlags(socketFacts(byName(n)), m).map((f) => f.kind);
  assert.equal(byName("a_listener").skmem?.rcvbuf, 2304);
  assert.ok(kinds("a_listener").includes("listener_small_buffer"));
  assert.ok(kinds("a_listener").includes("rcvbuf_locked"));
  assert.ok(!kinds("b_listener").includes("rcvbuf_locked"), "a default listener is not flagged");
  assert.equal(byName("a_accepted").skmem?.rcvbuf, 2304, "accepted socket inherits the listener's buffer");
  assert.ok(kinds("a_accepted").includes("rcvbuf_locked"));
  // The accepted socket is never read: a zero window (its reader is not reading), not a small one.
  assert.ok(kinds("a_client").includes("peer_window_zero"), `${kinds("a_client")}`);
  assert.ok(!kinds("a_client").includes("peer_window_small"));
  assert.ok(kinds("a_accepted").includes("receive_window_zero"), `${kinds("a_accepted")}`);
  assert.ok(kinds("b_client").includes("rcvbuf_locked"), "SO_RCVBUF=65536 on the client");
  assert.equal(byName("b_client").skmem?.rcvbuf, 131072);
});

test("tcpwin sockets --port --json -p: pid and comm of each socket, TIME-WAIT without one", { skip, timeout: NET_TEST_TIMEOUT_MS }, () => {
  const r = runCli(["sockets", "--port", String(sc.ports.d), "--state", "all", "--json", "-p"]);
  assert.equal(r.status, 0, r.stderr);
  const arr = JSON.parse(r.stdout) as Record<string, unknown>[];
  const tw = arr.find((o) => o.state === "TIME-WAIT" && o.local === sc.time_wait.local);
  assert.ok(tw, r.stdout);
  assert.equal(tw.local, sc.time_wait.local);
  assert.equal(tw.pid, undefined);
  const lis = arr.find((o) => o.state === "LISTEN" && o.local === `127.0.0.1:${sc.ports.d}`)!;
  assert.equal(lis.pid, sc.pid);
  assert.equal(lis.comm, "python3");
  assert.equal(lis.rtt, 0, "listener tcp_info fields present as the kernel sent them");
});

test("as nobody: sockets still listed with buffers, owners reported unknown and counted", { skip: skip || nobodySkipReason(), timeout: NET_TEST_TIMEOUT_MS }, () => {
  const asNobody = ["--reuid=nobody", "--regid=nogroup", "--clear-groups"];
  const r = spawnSync("setpriv", [...asNobody, process.execPath, "--import", "tsx", "src/cli/entry.ts", "sockets", "-p", "--port", String(sc.ports.a), "--json"], {
    cwd: fileURLToPath(new URL("../../", import.meta.url)),
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", HOME: "/tmp" },
    timeout: 60_000, killSignal: "SIGKILL",
  });
  assert.equal(r.status, 0, r.stderr);
  // Another socket may use port A as its own ephemeral port towards elsewhere: keep A's own.
  const a = `127.0.0.1:${sc.ports.a}`;
  const arr = (JSON.parse(r.stdout) as Record<string, unknown>[]).filter((o) => o.local === a || o.peer === a);
  assert.equal(arr.length, 3, "listener + both ends of the pair");
  for (const o of arr) {
    assert.equal(o.pid, undefined);
    assert.equal(o.owner_unknown, true);
    assert.ok(typeof o.rb === "number" && typeof o.snd_cwnd === "number");
  }
  assert.match(r.stderr, /\d+ of \d+ process\(es\) could not be read/);
  // ss as nobody sees the same sockets, without users.
  const ss = spawnSync("setpriv", [...asNobody, "ss", "-tinmHpa", `( sport = :${sc.ports.a} or dport = :${sc.ports.a} )`], { encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL" });
  // tcpwin's default leaves TIME-WAIT out; `ss -a` lists it (another test's closed connection to A).
  const parsed = parseSs(ss.stdout).filter((o) => (o.local === a || o.peer === a) && o.state !== "TIME-WAIT");
  assert.equal(parsed.length, 3, ss.stdout);
  assert.ok(parsed.every((s) => s.pids.length === 0));
  // --pid of a root process as nobody: a clear refusal, exit 1.
  const p = spawnSync("setpriv", [...asNobody, process.execPath, "--import", "tsx", "src/cli/entry.ts", "sockets", "--pid", String(sc.pid)], {
    cwd: fileURLToPath(new URL("../../", import.meta.url)),
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", HOME: "/tmp" },
    timeout: 60_000,
    killSignal: "SIGKILL",
  });
  assert.equal(p.status, 1);
  assert.match(p.stderr, /cannot read \/proc\/\d+\/fd \(EACCES\)/);
});

test("--pid --getsockopt reads SO_RCVBUF, TCP_MAXSEG from inside the process", { skip: skip || (!isRoot && "pidfd_getfd needs root"), timeout: NET_TEST_TIMEOUT_MS }, () => {
  const r = runCli(["sockets", "--pid", String(sc.pid), "--port", String(sc.ports.a), "--getsockopt", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { state: string; fd: number; so_rcvbuf: number; rb: number; tcp_maxseg: number; so_sndbuf: number; tb: number }[];
  assert.equal(rows.length, 3);
  for (const row of rows) {
    assert.equal(row.so_rcvbuf, row.rb, "getsockopt SO_RCVBUF = sock_diag rb");
    const own = sc.sockets.find((s) => s.fd === row.fd);
    assert.ok(own, `fd ${row.fd} is one of the scenario's`);
  }
  const lis = rows.find((x) => x.state === "LISTEN")!;
  assert.equal(lis.so_rcvbuf, 2304);
  assert.equal(lis.tcp_maxseg, 574);
  const cli = rows.find((x) => x.fd === sc.sockets.find((s) => s.name === "a_client")!.fd)!;
  assert.equal(cli.so_sndbuf, 16384, "SO_SNDBUF 8192 doubled");
});
