/**
 * Verdicts on transfers through the project's link emulator (`tcpwin lab link`: two namespaces,
 * TUN devices, a userspace forwarder adding RTT and seeded loss, a pcap of what crosses):
 * a locked 1 KiB receive buffer at 2 ms → receiver_window_limited; 2 % loss with default
 * buffers → loss_limited; a sender that writes 4 KB every 5 ms → application_limited. Each case
 * names what must hold; the lab removes its namespaces itself.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeCapture } from "../../src/tcp/index.js";
import { diagnoseAll, type Diagnosed } from "../../src/diagnose/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SUPPORT = fileURLToPath(new URL("./support/", import.meta.url));
const ENTRY = join(ROOT, "src/cli/entry.ts");
const skip = process.getuid?.() !== 0 ? "needs root (tcpwin lab link creates namespaces)" : spawnSync("sh", ["-c", "command -v python3"]).status !== 0 ? "python3 not installed" : false;

function throughLab(linkArgs: string[], sinkRcvbuf: number, sender: [n: number, size: number, pause: number]): Diagnosed {
  const dir = mkdtempSync(join(tmpdir(), "tcpwin-verdict-lab-"));
  try {
    const pcap = join(dir, "lab.pcap");
    const r = spawnSync(
      process.execPath,
      [
        "--import", "tsx", ENTRY, "lab", "link", ...linkArgs, "--pcap", pcap,
        "--server", `python3 ${join(SUPPORT, "sink.py")} ${sinkRcvbuf}`,
        "--client", `python3 ${join(SUPPORT, "sender.py")} $TCPWIN_LAB_B ${sender.join(" ")}`,
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 90_000 },
    );
    assert.equal(r.status, 0, `lab link failed: ${r.stdout}${r.stderr}`);
    const a = analyzeCapture(pcap);
    assert.equal(a.error, null);
    const list = diagnoseAll(a.connections);
    assert.equal(list.length, 1, `one connection expected, got ${list.length}`);
    return list[0]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const why = (d: Diagnosed) => `${d.verdict.kind} by ${d.verdict.rule.id}: ${d.verdict.claim} ${JSON.stringify(d.verdict.measures)}`;

test("lab: SO_RCVBUF=1024 at 2 ms RTT, MSS 574 → receiver_window_limited, model agrees", { skip }, () => {
  const d = throughLab(["--rtt", "2ms", "--mtu", "614", "--no-timestamps"], 1024, [1, 200_000, 0]);
  assert.equal(d.verdict.kind, "receiver_window_limited", why(d));
  assert.equal(d.verdict.measures?.rwnd_median_bytes, 574);
  assert.ok(d.verdict.model?.agrees, JSON.stringify(d.verdict.model));
  assert.ok(d.verdict.model!.rtt_ms >= 1.9 && d.verdict.model!.rtt_ms < 3, `RTT ${d.verdict.model!.rtt_ms}`);
});

test("lab: 2 % loss, default buffers → loss_limited", { skip }, () => {
  const d = throughLab(["--rtt", "2ms", "--loss", "2%", "--seed", "7"], 0, [1, 2_000_000, 0]);
  assert.equal(d.verdict.kind, "loss_limited", why(d));
  assert.ok(d.verdict.measures!.retransmitted_bytes > 0);
  assert.equal(d.verdict.fix?.side, "network");
});

test("lab: 4 KB every 5 ms, default buffers → application_limited", { skip }, () => {
  const d = throughLab(["--rtt", "2ms"], 0, [60, 4000, 0.005]);
  assert.equal(d.verdict.kind, "application_limited", why(d));
  assert.equal(d.verdict.fix?.side, "sending_application");
});
