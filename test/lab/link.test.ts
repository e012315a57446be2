/**
 * The link emulator for real: namespaces, TUN devices, the forwarding worker, the CLI. Checked
 * with tools nobody here wrote (ping, tshark, iperf3) and for leftovers after normal exit, SIGINT
 * and SIGKILL. Needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN); skipped with the reason otherwise.
 */
import { after, afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LabLink, sweepLeftovers } from "../../src/lab/link/link.js";
import { createNetns, hasCapability, CAP_NET_ADMIN, CAP_SYS_ADMIN, listNetns } from "../../src/kernel/netns.js";
import { nobodySkipReason } from "../support/unprivileged.js";
import { NET_TEST_TIMEOUT_MS, skipUnless, sync } from "../support/tools.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = fileURLToPath(new URL("../../src/cli/entry.ts", import.meta.url));
const privileged = hasCapability(CAP_NET_ADMIN) && hasCapability(CAP_SYS_ADMIN);
const rootSkip = privileged ? false : "needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) for namespaces and TUN devices";
/** Skip reason for a test needing root and `tools` (every link measures its hosts' RTT with ping). */
const needs = (...tools: string[]) => rootSkip || skipUnless(...tools);
const timeout = NET_TEST_TIMEOUT_MS;

/** Pids of processes whose environment carries TCPWIN_TEST_MARK=mark. */
function markedPids(mark: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, "latin1").split("\0").includes(`TCPWIN_TEST_MARK=${mark}`)) out.push(Number(d));
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

/** argv[0] of a process, or "" when it has gone (short-lived helpers like `ip netns exec … sysctl`). */
function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0")[0] ?? "";
  } catch {
    return "";
  }
}

function nsOfPid(pid: number): string[] {
  return listNetns().filter((n) => n.includes(`-${pid}-`));
}

function tunDevicesOfPid(pid: number): string[] {
  return execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8", ...sync(10_000) })
    .split("\n")
    .filter((l) => l.includes(`tw${pid}.`));
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Children and links of these tests: whatever a failing (or timed-out) test leaves running is
 * stopped after it — SIGINT first, so a CLI child removes its link, SIGKILL 5 s later — and its
 * namespaces are swept at the end.
 */
const spawned = new Set<ReturnType<typeof spawn>>();
const links = new Set<LabLink>();
afterEach(async () => {
  for (const l of links) l.close();
  links.clear();
  for (const c of spawned) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGINT");
      const t = setTimeout(() => c.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(t);
    }
  }
}, { timeout: 20_000 });
after(() => {
  if (privileged) sweepLeftovers();
});

function cli(args: string[], mark: string) {
  return track(spawn(process.execPath, ["--import", "tsx", ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", TCPWIN_TEST_MARK: mark },
    stdio: ["ignore", "pipe", "pipe"],
  }));
}

function track(c: ReturnType<typeof spawn>): ReturnType<typeof spawn> {
  spawned.add(c);
  c.once("exit", () => spawned.delete(c));
  return c;
}

function collect(child: ReturnType<typeof cli>): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d));
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  return new Promise((r) => child.once("exit", (code, signal) => r({ code, signal, stdout, stderr })));
}

test("ping across the link sees the configured RTT; the pcap has every packet with ns timestamps (tshark)", { skip: needs("ping", "tshark"), timeout }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-lab-"));
  const pcap = join(dir, "ping.pcap");
  const link = await LabLink.create({ rttMs: 2, mtu: 614, prefix: "tcpwin-t", pcapPath: pcap });
  links.add(link); // closed by afterEach should an assertion below fail first
  // The hosts' own round trip was measured at start and taken off the forwarder's delay.
  const host = link.info.host_rtt_ms!;
  assert.ok(host > 0 && host < 0.5, `host_rtt_ms ${host}`);
  assert.ok(Math.abs(link.info.delay_ms - (2 - host) / 2) < 1e-9, `delay_ms ${link.info.delay_ms}`);
  let out: string;
  try {
    out = execFileSync("ip", ["netns", "exec", link.info.ns_a, "ping", "-c", "50", "-i", "0.01", "-q", link.info.addr_b], { encoding: "utf8", ...sync(30_000) });
  } finally {
    link.close();
  }
  const m = /= ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(out)!;
  const min = Number(m[1]);
  const avg = Number(m[2]);
  const stats = link.stats()!;
  assert.equal(stats.a_to_b.packets_out, 50);
  assert.equal(stats.b_to_a.packets_out, 50);
  // tshark reads it, finds 100 ICMP packets, and the echo replies come back ~2 ms after requests.
  const t = execFileSync("tshark", ["-r", pcap, "-T", "fields", "-e", "frame.time_epoch", "-e", "icmp.type"], { encoding: "utf8", ...sync(60_000) })
    .trim()
    .split("\n")
    .map((l) => l.split("\t"));
  assert.equal(t.length, 100);
  // Nanosecond resolution, raw-IP link type (tshark names it).
  const info = execFileSync("tshark", ["-r", pcap, "-c", "1", "-T", "fields", "-e", "frame.time_epoch", "-e", "_ws.col.Protocol", "-o", "gui.column.format:\"P\",\"%p\""], { encoding: "utf8", ...sync(60_000) });
  assert.match(info, /^\d+\.\d{9}\t/, `nanosecond timestamps: ${info}`);
  const gaps: number[] = [];
  for (let i = 0; i + 1 < t.length; i++) if (t[i]![1] === "8" && t[i + 1]![1] === "0") gaps.push((Number(t[i + 1]![0]) - Number(t[i]![0])) * 1000);
  gaps.sort((a, b) => a - b);
  assert.ok(gaps.length >= 45, `request/reply pairs ${gaps.length}`);
  // On the link (its capture's timestamps): the delay, 2 ms less the hosts' part, plus side B's turnaround.
  assert.ok(gaps[0]! >= 2 * link.info.delay_ms && gaps[0]! <= 2.1, `capture RTT min ${gaps[0]} ms vs 2 × ${link.info.delay_ms} ms`);
  // What ping sees adds both namespaces' stacks and the TUN reads and writes, which the link took
  // off its delay: the configured 2 ms (without that, CI saw 2.102 ms). What is left is the
  // variance of that calibration on a shared 2-vCPU machine: 2.103 and 2.121 ms seen on busy runs,
  // so ±0.15 ms (7.5 %) — still well inside what the capture's own check above pins down.
  assert.ok(Math.abs(min - 2) <= 0.15, `ping min ${min} ms vs 2 ms`);
  assert.ok(avg < 2.5, `ping avg ${avg} ms`);
  rmSync(dir, { recursive: true });
});

// A 5 ms cell: at sub-millisecond RTTs the endpoints' own per-round processing on a loaded
// 2-vCPU VM is a visible share of the round trip (see the lab notes), which would make CI flaky.
test("one grid cell through `lab link` (SO_RCVBUF 4096, 5 ms, MSS 574) matches the model; nothing is left behind", { skip: needs("ping"), timeout }, async (t) => {
  type Cell = { rcvbuf: number; rtt_ms: number; mss: number; measured_ms: number; predicted_ms: number; error: number; link_busy_ms: number; predicted_link_ms: number; error_link: number; window_limited: boolean; snd_wnd: number; snd_mss: number; rtt_error: number };
  // Timing on a shared CI machine can be disturbed by other load: a cell whose times miss gets
  // one more run, and the test fails if both miss. Everything else must hold on every run.
  for (let attempt = 1; ; attempt++) {
    const mark = `cell-${process.pid}-${Date.now()}`;
    const child = cli(["lab", "validate", "--rcvbuf", "4096", "--rtt", "5ms", "--mss", "574", "--size", "500000", "--no-iperf3", "--json"], mark);
    const res = await collect(child);
    assert.deepEqual(nsOfPid(child.pid!), [], "namespaces removed");
    assert.deepEqual(tunDevicesOfPid(child.pid!), [], "TUN devices gone");
    assert.deepEqual(markedPids(mark), [], "no process left");
    const doc = JSON.parse(res.stdout) as { ok: boolean; cells: Cell[] };
    assert.equal(doc.cells.length, 1, res.stderr);
    const c = doc.cells[0]!;
    assert.deepEqual([c.rcvbuf, c.rtt_ms, c.mss, c.snd_mss, c.snd_wnd], [4096, 5, 574, 574, 3444]);
    assert.ok(c.window_limited);
    // The held basis: the model plus the link's measured delivery time (both stacks run in its writes).
    assert.ok(c.link_busy_ms > 0, `link busy ${c.link_busy_ms} ms`);
    assert.ok(Math.abs(c.predicted_link_ms - (c.predicted_ms + c.link_busy_ms)) < 0.01);
    const misses = [
      Math.abs(c.error) <= 0.1 ? "" : `measured ${c.measured_ms} ms vs predicted ${c.predicted_ms} ms`,
      c.link_busy_ms < 0.1 * c.predicted_ms ? "" : `link busy ${c.link_busy_ms} ms`,
      Math.abs(c.error_link) <= 0.1 ? "" : `measured ${c.measured_ms} ms vs model + link ${c.predicted_link_ms} ms`,
      Math.abs(c.rtt_error) <= 0.05 ? "" : `min_rtt error ${c.rtt_error}`,
    ].filter(Boolean);
    if (misses.length === 0) {
      assert.equal(res.code, 0, res.stderr);
      return;
    }
    if (attempt === 2) assert.fail(`two runs missed: ${misses.join("; ")}`);
    t.diagnostic(`run 1 missed (machine load?), running the cell again: ${misses.join("; ")}`);
  }
});

test("SIGINT midway: server and client killed, namespaces removed, exit 130", { skip: needs("ping", "iperf3"), timeout }, async () => {
  const mark = `sigint-${process.pid}-${Date.now()}`;
  const child = cli(["lab", "link", "--rtt", "1ms", "--server", "iperf3 -s -p 5299", "--client", "sleep 60"], mark);
  const done = collect(child);
  // Wait for the client (sleep) to run: then the link, the server and the client all exist.
  await until("the client to start", () => markedPids(mark).some((p) => comm(p) === "sleep"));
  assert.equal(nsOfPid(child.pid!).length, 2);
  child.kill("SIGINT");
  const res = await done;
  assert.equal(res.code, 130, res.stderr);
  assert.match(res.stderr, /SIGINT: link removed/);
  assert.deepEqual(nsOfPid(child.pid!), []);
  assert.deepEqual(tunDevicesOfPid(child.pid!), []);
  await until("processes to vanish", () => markedPids(mark).length === 0, 5000);
});

/**
 * A signal at any moment of the set-up (namespaces, TUN devices, the forwarder's start, the
 * calibration ping) removes what exists so far and exits 128+n. Each run is triggered either a
 * fixed time after spawn (set-up starts ~0.5–0.9 s in, after tsx has loaded) or the moment a
 * stage is seen, polled every 2 ms; SIGINT to the pid (`kill -INT`) and to the process group
 * (Ctrl-C at a terminal, which also kills the `ip` call running then), and one SIGTERM.
 * Before the process has its handlers (the first delays) it dies of the signal itself, as the shell
 * reports as 130 too — nothing exists then, and nothing may be left.
 */
test("a signal at any moment of set-up: nothing left behind, exit 130/143", { skip: needs("ping"), timeout }, async (t) => {
  const nsFile = (pid: number, side: "a" | "b") => `/run/netns/tcpwin-${pid}-0-${side}`;
  type When = { after: number } | { stage: string; cond: (pid: number, mark: string, stderr: () => string) => boolean };
  const plan: { when: When; sig: NodeJS.Signals; group: boolean }[] = [
    ...[50, 150, 250, 400, 1000].map((after) => ({ when: { after }, sig: "SIGINT" as const, group: false })),
    { when: { stage: "namespace A made", cond: (pid) => existsSync(nsFile(pid, "a")) }, sig: "SIGINT", group: false },
    { when: { stage: "namespace B made", cond: (pid) => existsSync(nsFile(pid, "b")) }, sig: "SIGINT", group: false },
    { when: { stage: "namespace A made", cond: (pid) => existsSync(nsFile(pid, "a")) }, sig: "SIGINT", group: true },
    { when: { stage: "namespace B made", cond: (pid) => existsSync(nsFile(pid, "b")) }, sig: "SIGINT", group: true },
    { when: { stage: "calibration ping running", cond: (_pid, mark) => markedPids(mark).some((p) => comm(p) === "ping") }, sig: "SIGINT", group: false },
    { when: { stage: "namespace B made", cond: (pid) => existsSync(nsFile(pid, "b")) }, sig: "SIGTERM", group: false },
    { when: { stage: "link up", cond: (_pid, _mark, err) => /^link tcpwin-/m.test(err()) }, sig: "SIGINT", group: false },
  ];
  for (const [i, { when, sig, group }] of plan.entries()) {
    const mark = `setup-${process.pid}-${i}`;
    const child = track(spawn(process.execPath, ["--import", "tsx", ENTRY, "lab", "link", "--rtt", "1ms", "--server", "sleep 5", "--client", "sleep 1"], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", TCPWIN_TEST_MARK: mark },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, to signal the group as a terminal's Ctrl-C does
    }));
    const pid = child.pid!;
    const done = collect(child);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d));
    const label = "after" in when ? `${sig} ${when.after} ms after spawn` : `${sig}${group ? " to the group" : ""} when ${when.stage}`;
    let exited = false;
    void done.then(() => (exited = true));
    if ("after" in when) await new Promise((r) => setTimeout(r, when.after));
    else {
      const end = Date.now() + 20_000;
      while (!exited && !when.cond(pid, mark, () => stderr) && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
      assert.ok(!exited, `${label}: the run ended before the stage: ${stderr}`);
      assert.ok(Date.now() < end, `${label}: stage never seen: ${stderr}`);
    }
    process.kill(group ? -pid : pid, sig);
    const res = await done;
    const status = res.code ?? (res.signal === sig ? 128 + (sig === "SIGINT" ? 2 : 15) : -1);
    t.diagnostic(`${label}: code ${res.code}, signal ${res.signal}; ${res.stderr.trim().split("\n").at(-1) ?? ""}`);
    assert.equal(status, sig === "SIGINT" ? 130 : 143, `${label}: ${res.stderr}`);
    // Died of the signal only before anything was made (no handler yet, so no set-up begun).
    if (res.signal !== null) assert.doesNotMatch(res.stderr, /link tcpwin-/, label);
    assert.deepEqual(nsOfPid(pid), [], `${label}: namespaces removed`);
    assert.deepEqual(tunDevicesOfPid(pid), [], `${label}: TUN devices gone`);
    await until(`${label}: its processes to vanish`, () => markedPids(mark).length === 0, 5000);
  }
});

test("in a program with its own SIGINT handler, a SIGINT during create() removes the link and create() rejects 'interrupted'", { skip: needs("ping"), timeout }, async () => {
  let seen = 0;
  const mine = () => void seen++;
  process.on("SIGINT", mine); // so the link's set-up guard must not exit the process: it is not the only listener
  try {
    const pending = LabLink.create({ rttMs: 1, prefix: "tcpwin-t" });
    // The set-up's ip calls are synchronous: this first runs when it waits for the forwarder or the ping.
    await until("namespace B", () => listNetns().some((n) => n.startsWith(`tcpwin-t-${process.pid}-`) && n.endsWith("-b")), 20_000);
    process.kill(process.pid, "SIGINT");
    await assert.rejects(pending, (e: Error & { code?: string }) => e.code === "interrupted" && /interrupted by SIGINT/.test(e.message));
    assert.equal(seen, 1);
    assert.deepEqual(nsOfPid(process.pid).filter((n) => n.startsWith("tcpwin-t-")), []);
    assert.deepEqual(tunDevicesOfPid(process.pid), []);
  } finally {
    process.off("SIGINT", mine);
  }
});

test("leftovers of a SIGKILLed run are found and removed at the next start", { skip: needs("ping", "iperf3"), timeout }, async () => {
  const mark = `kill-${process.pid}-${Date.now()}`;
  const child = cli(["lab", "link", "--rtt", "1ms", "--server", "iperf3 -s -p 5299"], mark);
  const done = collect(child);
  await until("the server to run", () => markedPids(mark).some((p) => comm(p) === "iperf3"));
  child.kill("SIGKILL");
  await done;
  assert.equal(nsOfPid(child.pid!).length, 2, "a killed run leaves its namespaces");
  assert.ok(markedPids(mark).length > 0, "and its server");
  assert.deepEqual(tunDevicesOfPid(child.pid!), [], "TUN devices die with their fd");
  const removed = sweepLeftovers();
  assert.equal(removed.filter((n) => n.includes(`-${child.pid}-`)).length, 2);
  assert.deepEqual(nsOfPid(child.pid!), []);
  await until("the orphaned server to die", () => markedPids(mark).length === 0, 5000);
});

test("a namespace named like ours but owned by a live process is left alone", { skip: rootSkip, timeout }, () => {
  const name = `tcpwin-t-${process.pid}-999-a`;
  createNetns(name);
  try {
    sweepLeftovers();
    assert.ok(listNetns().includes(name));
  } finally {
    execFileSync("ip", ["netns", "del", name], sync(10_000));
  }
});

test("without CAP_NET_ADMIN: one line that says so, exit 1", { skip: privileged ? nobodySkipReason() : false, timeout }, () => {
  const args = ["--import", "tsx", ENTRY, "lab", "link", "--rtt", "1ms", "--client", "true"];
  const r = privileged
    ? spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", process.execPath, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, HOME: "/tmp" }, ...sync(60_000) })
    : spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", ...sync(60_000) });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /needs root \(CAP_NET_ADMIN and CAP_SYS_ADMIN\)/);
});

test("lab link exits with the client's status; the client sees TCPWIN_LAB_A/B; the server is stopped", { skip: needs("ping", "iperf3"), timeout }, async () => {
  const mark = `status-${process.pid}-${Date.now()}`;
  const child = cli(["lab", "link", "--rtt", "1ms", "--server", "iperf3 -s -p 5299", "--client", 'test "$TCPWIN_LAB_A" = 10.77.0.1 && test "$TCPWIN_LAB_B" = 10.77.0.2 && exit 3'], mark);
  const res = await collect(child);
  assert.equal(res.code, 3, res.stderr);
  assert.match(res.stderr, /RTT 1\.00 ms \(hosts 0\.\d+ ms \+ forwarder 2 × 0\.\d+ ms\)/);
  assert.deepEqual(nsOfPid(child.pid!), []);
  await until("the server to be gone", () => markedPids(mark).length === 0, 5000);
});

test("lab link --raw-delay: the forwarder adds exactly --rtt, nothing is measured, the report says so", { skip: needs("ping"), timeout }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-lab-"));
  const report = join(dir, "report.json");
  const child = cli(["lab", "link", "--rtt", "1ms", "--raw-delay", "--report", report, "--client", "ping -c 20 -i 0.01 -q $TCPWIN_LAB_B"], `raw-${process.pid}`);
  const res = await collect(child);
  assert.equal(res.code, 0, res.stderr);
  const doc = JSON.parse(readFileSync(report, "utf8")) as { link: { host_rtt_ms: number | null; delay_ms: number }; stats: { a_to_b: { packets_out: number } } };
  assert.equal(doc.link.host_rtt_ms, null);
  assert.equal(doc.link.delay_ms, 0.5);
  assert.equal(doc.stats.a_to_b.packets_out, 20);
  // Not compensated: the hosts' own time comes on top of the 1 ms.
  const m = /= ([\d.]+)\//.exec(res.stdout + res.stderr)!;
  assert.ok(Number(m[1]) >= 1, `ping min ${m[1]} ms`);
  rmSync(dir, { recursive: true });
});

test("iperf3 flat out at 0.5 ms: the report carries each direction's release lateness, and the warning follows it", { skip: needs("ping", "iperf3"), timeout }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-lab-"));
  const report = join(dir, "report.json");
  const child = cli(["lab", "link", "--rtt", "0.5ms", "--report", report, "--server", "iperf3 -s -1 -p 5298 >/dev/null", "--client", "iperf3 -c $TCPWIN_LAB_B -p 5298 -t 2 >/dev/null"], `late-${process.pid}`);
  const res = await collect(child);
  assert.equal(res.code, 0, res.stderr);
  type Dir = { packets: number; mean_us: number; max_us: number };
  const doc = JSON.parse(readFileSync(report, "utf8")) as {
    stats: { a_to_b: { packets_out: number; late_mean_us: number }; b_to_a: { packets_out: number; late_mean_us: number } };
    lateness: { a_to_b: Dir; b_to_a: Dir; rtt_excess_ms: number; share_of_rtt: number; warn_share: number; warn_floor_us: number; warn: boolean; warning: string | null };
  };
  const l = doc.lateness;
  for (const side of ["a_to_b", "b_to_a"] as const) {
    const d = l[side];
    assert.equal(d.packets, doc.stats[side].packets_out, side);
    assert.equal(d.mean_us, doc.stats[side].late_mean_us, side);
    // Every real release is after its due time by something, and no mean passes its max.
    assert.ok(d.mean_us > 0 && d.max_us >= d.mean_us, `${side}: mean ${d.mean_us} µs, max ${d.max_us} µs`);
  }
  assert.ok(l.a_to_b.packets > 10_000, `flat out: ${l.a_to_b.packets} packets A→B`);
  assert.ok(Math.abs(l.rtt_excess_ms - (l.a_to_b.mean_us + l.b_to_a.mean_us) / 1000) < 0.001);
  assert.ok(Math.abs(l.share_of_rtt - l.rtt_excess_ms / 0.5) < 0.002);
  // Whether it warns depends on the machine's load; that the warning follows the numbers does not.
  assert.equal(l.warn, l.share_of_rtt > l.warn_share && l.rtt_excess_ms * 1000 > l.warn_floor_us);
  if (l.warn) {
    assert.ok(l.warning && res.stderr.includes(l.warning), res.stderr);
    assert.match(l.warning, /RTT the endpoints saw was larger than --rtt 0\.500 ms by about/);
  } else {
    assert.equal(l.warning, null);
    assert.doesNotMatch(res.stderr, /released packets late/);
  }
  rmSync(dir, { recursive: true });
});

test("without ping on PATH: lab link fails at once with one line naming ping and --raw-delay, and creates nothing", { skip: rootSkip, timeout }, async () => {
  const empty = mkdtempSync(join(tmpdir(), "tcpwin-noping-"));
  const child = track(spawn(process.execPath, ["--import", "tsx", ENTRY, "lab", "link", "--rtt", "1ms", "--client", "true"], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", PATH: empty },
    stdio: ["ignore", "pipe", "pipe"],
  }));
  const res = await collect(child);
  rmSync(empty, { recursive: true });
  assert.equal(res.code, 1, res.stderr);
  const lines = res.stderr.trim().split("\n");
  assert.equal(lines.length, 1, res.stderr);
  assert.match(lines[0]!, /ping is not on PATH.*--raw-delay/);
  assert.deepEqual(nsOfPid(child.pid!), []);
});
