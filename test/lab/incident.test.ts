/**
 * `tcpwin lab incident` as a user runs it: the configured run times out, its capture's linked
 * verdict names REGISTER_BROKER, the window and serverSocketRcvBufSize; the fixed run succeeds;
 * the kept capture holds both runs and tshark reads it; nothing is left behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listNetns } from "../../src/kernel/netns.js";
import { runCli } from "../cli/run-cli.js";
import { NET_TEST_TIMEOUT_MS, skipUnless, sync } from "../support/tools.js";

const skip = skipUnless("root", "tshark");

interface Run {
  label: string;
  timed_out: boolean;
  elapsed_ms: number;
  predicted_ms: number | null;
  window_bytes: number | null;
  rcvbuf: { value: number | null; source: string };
  registrations: { opaque: number; timed_out: boolean; new_connection: boolean; closed_after_timeout: boolean }[];
  verdict: {
    kind: string;
    app: {
      exchange: { code: number; name: string; request_bytes: number; timed_out: boolean | null } | null;
      model: { predicted_ms: number; over_timeout: boolean } | null;
      setting: { key: string; value: number | null; text: string } | null;
      closed_after_timeout: { how: string | null; after_ms: number | null; reconnect_stream: number | null; reconnect_after_ms: number | null } | null;
      text: string[];
    } | null;
  } | null;
}

test("lab incident: times out as configured, the verdict links the layers, the fix succeeds", { skip, timeout: NET_TEST_TIMEOUT_MS }, () => {
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-incident-test-"));
  const before = new Set(listNetns());
  try {
    const pcap = join(dir, "incident.pcap");
    const html = join(dir, "incident.html");
    const r = runCli(["lab", "incident", "--json", "--pcap", pcap, "--html", html], { timeout: NET_TEST_TIMEOUT_MS - 10_000 });
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr.slice(-2000)}`);
    const doc = JSON.parse(r.stdout) as { runs: Run[]; why_longer: string[] };
    const [broken, fixed] = doc.runs;
    assert.ok(broken && fixed);
    assert.equal(broken.label, "as configured");
    // The file's 1024 beat the -D's 1048576, and the registration timed out at the 3 s timeout.
    assert.deepEqual([broken.rcvbuf.value, broken.rcvbuf.source], [1024, "file"]);
    assert.equal(broken.timed_out, true);
    assert.ok(broken.elapsed_ms >= 3000 && broken.elapsed_ms < 4000, `elapsed ${broken.elapsed_ms}`);
    assert.equal(broken.registrations.length, 2);
    assert.ok(broken.registrations[1]!.new_connection, "the next period connects again");
    // The capture says the same, in both layers.
    const v = broken.verdict!;
    assert.equal(v.kind, "receiver_window_limited");
    const app = v.app!;
    assert.equal(app.exchange?.code, 103);
    assert.equal(app.exchange?.name, "REGISTER_BROKER");
    assert.ok(app.exchange!.request_bytes > 2_079_208, `request ${app.exchange!.request_bytes} B`);
    assert.equal(app.exchange?.timed_out, true);
    assert.ok(app.model?.over_timeout, JSON.stringify(app.model));
    assert.equal(app.setting?.key, "serverSocketRcvBufSize");
    assert.match(app.setting!.text, /wins over -Dcom\.rocketmq\.remoting\.socket\.rcvbuf\.size/);
    // The broker gave up and the next period connected anew (its FIN waits behind ~1 MB of queued
    // request, so the capture may end before it).
    assert.ok(app.closed_after_timeout, "the give-up after the timeout is said");
    assert.notEqual(app.closed_after_timeout!.reconnect_stream, null, "and the reconnect");
    assert.ok(app.closed_after_timeout!.reconnect_after_ms! >= 3000, JSON.stringify(app.closed_after_timeout));
    if (app.closed_after_timeout!.after_ms !== null) assert.ok(app.closed_after_timeout!.after_ms >= 2950, JSON.stringify(app.closed_after_timeout));
    assert.ok(doc.why_longer.length > 0);
    // Fixed with what the verdict named: answered within the timeout.
    assert.equal(fixed.timed_out, false);
    assert.ok(fixed.elapsed_ms < 3000);
    // Both runs in one capture another tool reads; tcpwin finds all three registrations in it.
    const frames = execFileSync("tshark", ["-r", pcap, "-T", "fields", "-e", "frame.number"], { encoding: "utf8", ...sync(60_000) }).trim().split("\n").length;
    assert.ok(frames > 3000, `${frames} frames`);
    const page = readFileSync(html, "utf8");
    assert.match(page, /REGISTER_BROKER/);
    assert.doesNotMatch(page, /<script[^>]+src=/, "self-contained");
    const a = runCli(["analyze", pcap, "--code", "103", "--json"]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal((JSON.parse(a.stdout) as { connections: unknown[] }).connections.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(listNetns().filter((n) => !before.has(n)), [], "namespaces removed");
  }
});
