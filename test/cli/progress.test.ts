/**
 * Progress on stderr: shown for long work when stderr is a terminal, silenced by --quiet, never
 * when stderr is a pipe. The terminal is a real pty (util-linux `script`); the long work is a
 * 70 MB capture made here from the bundled one's records (repeated, times moving on).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openCapture } from "../../src/capture/open.js";
import { PacketRef } from "../../src/capture/packet.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";
import { ROOT, runCli } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "tcpwin-progress-"));
const big = join(dir, "big.pcap");
const noScript = spawnSync("script", ["--version"]).error ? "util-linux `script` missing (makes the pty)" : null;

before(() => {
  const recs: { sec: number; nsec: number; bytes: Uint8Array }[] = [];
  const r = openCapture(join(ROOT, "assets/rcvbuf-1024.pcap"));
  const p = new PacketRef();
  let link = 1;
  while (r.next(p)) {
    link = p.linkType;
    recs.push({ sec: p.tsSec, nsec: p.tsNsec, bytes: p.bytes.slice(p.offset, p.offset + p.caplen) });
  }
  r.close();
  const w = new PcapWriter(big, { linkType: link, nanosecond: true });
  let written = 0;
  for (let round = 0; written < 70e6; round++) {
    for (const x of recs) {
      w.write(x.sec + round, x.nsec, x.bytes);
      written += 16 + x.bytes.length;
    }
  }
  w.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with stdout and stderr on a pty; returns what the terminal showed. */
function onTty(args: string[]): string {
  const cmd = [process.execPath, "--import", "tsx", join(ROOT, "src/cli/entry.ts"), ...args].map((a) => `'${a}'`).join(" ");
  const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { cwd: ROOT, encoding: "utf8", timeout: 120_000, killSignal: "SIGKILL", env: { ...process.env, NO_COLOR: "1" } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test("analyze on a big file: progress on a terminal, none with --quiet, none on a pipe", { skip: noScript ?? false, timeout: 240_000 }, () => {
  const shown = onTty(["analyze", big, "--json"]);
  assert.match(shown, /analysing .*big\.pcap: \d+ % \(\d+ \/ \d+ MB\)/);
  const quiet = onTty(["analyze", big, "--json", "--quiet"]);
  assert.doesNotMatch(quiet, /analysing/);
  const piped = runCli(["analyze", big, "--json"]);
  assert.equal(piped.status, 0);
  assert.doesNotMatch(piped.stderr, /analysing/);
});
