/**
 * The streamed JSON writer (report/sockets-json) must write, byte for byte, what the object path
 * (report/sockets socketJsonText, i.e. JSON.stringify of socketJson) writes — on the recorded
 * replies, on tcp_info cut to older kernels' sizes, with and without owners.
 */
import { test } from "node:test";
import { NET_TEST_TIMEOUT_MS, skipUnless } from "../support/tools.js";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeDiagBatch, viewDiagBatch, DiagMsgViewImpl, DumpState, type DiagSocket } from "../../src/kernel/netlink.js";
import { ByteSink, SocketJsonWriter } from "../../src/report/sockets-json.js";
import { socketJson, socketJsonText, socketFacts } from "../../src/report/sockets.js";
import { concat, messages, withInfoLength } from "./helpers/forge.js";
import { liveSocketFlags, type MachineLimits } from "../../src/diagnose/live-flags.js";
import { ownerLookup, type InodeOwners } from "../../src/kernel/proc-fd.js";
import type { LiveSocket } from "../../src/kernel/sockets.js";

const FIX = new URL("../fixtures/netlink/", import.meta.url);
const machine: MachineLimits = { family: "6.10+", rmemMax: 4194304, tcpRmem: [4096, 131072, 33554432], tcpWmem: [4096, 16384, 4194304], bandwidthBps: 1e9 };

function streamed(b: Uint8Array, owners?: InodeOwners): string {
  const chunks: Buffer[] = [];
  const sink = new ByteSink((c) => chunks.push(Buffer.from(c)));
  const w = new SocketJsonWriter(sink, machine, owners ? ownerLookup(owners) : undefined);
  w.begin();
  viewDiagBatch(b, b.length, new DumpState(), new DiagMsgViewImpl(), (v) => w.write(v));
  w.end();
  return Buffer.concat(chunks).toString("utf8");
}

function objects(b: Uint8Array): DiagSocket[] {
  const out: DiagSocket[] = [];
  decodeDiagBatch(b, b.length, new DumpState(), (s) => out.push(s));
  return out;
}

test("streamed JSON = JSON.stringify of the decoded objects, for every recorded reply", () => {
  for (const name of ["dump-v4-port-a.bin", "dump-v6-port-c.bin", "dump-v4-time-wait.bin"]) {
    const b = new Uint8Array(readFileSync(new URL(name, FIX)));
    const text = streamed(b);
    const parsed = JSON.parse(text) as unknown[];
    const expected = objects(b).map((s) => socketJsonText(s as LiveSocket, liveSocketFlags(socketFacts(s as LiveSocket), machine), undefined));
    assert.equal(parsed.length, expected.length);
    assert.equal(text, expected.length ? `[\n${expected.join(",\n")}\n]\n` : "[]\n", name);
    // socketJsonText (the fast template) = the generic JSON.stringify path
    for (const s of objects(b)) {
      const flags = liveSocketFlags(socketFacts(s as LiveSocket), machine);
      assert.equal(socketJsonText(s as LiveSocket, flags, undefined), JSON.stringify(socketJson(s as LiveSocket, flags, undefined)));
    }
  }
});

test("streamed JSON = object path for tcp_info of older kernels' sizes", () => {
  const msgs = messages(new Uint8Array(readFileSync(new URL("dump-v4-port-a.bin", FIX))));
  for (const n of [104, 120, 136, 160, 168, 192, 200, 224, 232, 240, 248, 280]) {
    const b = concat(msgs.map((m) => withInfoLength(m, n)));
    const expected = objects(b).map((s) => socketJsonText(s as LiveSocket, liveSocketFlags(socketFacts(s as LiveSocket), machine), undefined));
    assert.equal(streamed(b), `[\n${expected.join(",\n")}\n]\n`, `tcp_info ${n} B`);
    const parsed = JSON.parse(streamed(b)) as Record<string, unknown>[];
    assert.equal("rcv_wnd" in parsed[1]!, n >= 236);
    assert.equal("busy_time" in parsed[1]!, n >= 176);
  }
});

test("streamed JSON with owners: pid/comm when known, owner_unknown when a process was unreadable", () => {
  const b = new Uint8Array(readFileSync(new URL("dump-v4-port-a.bin", FIX)));
  const socks = objects(b);
  const owners: InodeOwners = { owner: new Map([[socks[0]!.inode, 999999]]), shared: new Map(), processes: 3, unreadable: 1, unreadablePids: [1], socketFds: 1 };
  const arr = JSON.parse(streamed(b, owners)) as Record<string, unknown>[];
  assert.equal(arr[0]!.pid, 999999);
  assert.equal(arr[0]!.comm, undefined, "no such process: no comm");
  assert.equal(arr[1]!.owner_unknown, true);
  assert.equal(arr[1]!.pid, undefined);
});

test("--json with the worker thread = without it (same sockets, valid array), on ~3000 live sockets", { skip: skipUnless("linux", "python3"), timeout: NET_TEST_TIMEOUT_MS }, async () => {
  const { spawn } = await import("node:child_process");
  const { createInterface } = await import("node:readline");
  const { writeSocketsJson } = await import("../../src/cli/commands/sockets-json-run.js");
  const { fileURLToPath } = await import("node:url");
  const holder = spawn("python3", [fileURLToPath(new URL("../../bench/sockets-holder.py", import.meta.url)), "1500", "127.0.0.1"], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const info = JSON.parse(await new Promise<string>((res) => createInterface({ input: holder.stdout! }).once("line", res))) as { port: number };
    const run = async (parallel: boolean) => {
      const chunks: Buffer[] = [];
      const r = await writeSocketsJson({ port: info.port }, machine, (c) => chunks.push(Buffer.from(c)), { parallel, workerAfterBatches: 2 });
      return { r, arr: JSON.parse(Buffer.concat(chunks).toString("utf8")) as { cookie: number; state: string; local: string; peer: string }[] };
    };
    const seq = await run(false);
    const par = await run(true);
    assert.equal(seq.r.parallel, false);
    assert.equal(par.r.parallel, true, "the worker took part");
    // Other sockets on this host may use the same number as an ephemeral port: count the holder's own.
    const ep = `127.0.0.1:${info.port}`;
    assert.equal(seq.arr.filter((x) => x.local === ep || x.peer === ep).length, 3001, "1500 pairs + the listener");
    const cookies = (a: { cookie: number }[]) => a.map((x) => x.cookie).sort((x, y) => x - y);
    assert.deepEqual(cookies(par.arr), cookies(seq.arr));
    assert.equal(par.r.count, par.arr.length);
  } finally {
    holder.stdin!.end();
    holder.kill("SIGKILL");
  }
});
