/**
 * Stream reassembly on real captures: a known byte pattern sent over a real TCP connection (node's
 * net module in two namespaces the test makes), captured, analysed with a factory that checks
 * every byte arrives exactly once, in order. Two captures:
 *  - tcpdump on a veth pair (full snaplen), the plain case; and the same file read with a snaplen
 *    cut (tcpdump -s 0 then replayed by the analysis of `-s 200`): every cut part is a gap;
 *  - `tcpwin lab link` with seeded loss, captured on B's side after the drops: real holes
 *    ("previous segment not captured"), out-of-order arrivals and retransmissions that fill them.
 * Both endpoints check the bytes they receive too (exit 3 otherwise).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeCapture } from "../../src/tcp/index.js";
import { StreamClaim, type StreamDir, type StreamFactory, type StreamHandler } from "../../src/tcp/stream.js";
import { runCli } from "../cli/run-cli.js";
import { createVethPair, netnsSkipReason } from "../support/netns.js";
import { NET_TEST_TIMEOUT_MS } from "../support/tools.js";

const dir = mkdtempSync(join(tmpdir(), "tcpwin-reasm-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const PAT = "const pat = (dir, i) => (i * 31 + dir * 101 + (i >>> 8)) & 255;";
const pat = (d: number, i: number) => (i * 31 + d * 101 + (i >>> 8)) & 255;

/** Receives N pattern bytes, answers M pattern bytes of direction 1, closes. */
const SERVER = `import net from "node:net";
const [N, M, port] = process.argv.slice(2).map(Number);
${PAT}
const srv = net.createServer((s) => {
  let got = 0, bad = 0;
  s.on("data", (d) => {
    for (let i = 0; i < d.length; i++) if (d[i] !== pat(0, got + i)) bad++;
    got += d.length;
    if (got === N) {
      if (bad) { console.error("server: " + bad + " bad bytes"); process.exit(3); }
      const b = Buffer.alloc(M);
      for (let i = 0; i < M; i++) b[i] = pat(1, i);
      s.end(b);
    }
  });
  s.on("close", () => srv.close());
});
srv.listen(port, "0.0.0.0", () => console.log("listening"));
`;

const CLIENT = `import net from "node:net";
const host = process.argv[2];
const [N, M, port] = process.argv.slice(3).map(Number);
${PAT}
const b = Buffer.alloc(N);
for (let i = 0; i < N; i++) b[i] = pat(0, i);
const s = net.connect(port, host, () => s.write(b));
let got = 0, bad = 0;
s.on("data", (d) => { for (let i = 0; i < d.length; i++) if (d[i] !== pat(1, got + i)) bad++; got += d.length; });
s.on("end", () => { s.end(); if (got !== M || bad) { console.error("client: got " + got + " of " + M + ", " + bad + " bad"); process.exit(3); } });
s.setTimeout(60000, () => { console.error("client: timeout"); process.exit(4); });
`;
const serverJs = join(dir, "server.mjs");
const clientJs = join(dir, "client.mjs");
writeFileSync(serverJs, SERVER);
writeFileSync(clientJs, CLIENT);

interface Checked {
  delivered: [number, number];
  gaps: [number, number];
  bad: number;
  outOfPlace: number;
  closes: string[];
}

/** Checks every delivered byte against the pattern at its offset, and that offsets continue. */
class Checker implements StreamHandler {
  readonly r: Checked = { delivered: [0, 0], gaps: [0, 0], bad: 0, outOfPlace: 0, closes: [] };
  private readonly next = [0, 0];
  onData(d: StreamDir, bytes: Uint8Array, off: number): StreamClaim {
    if (off !== this.next[d]) this.r.outOfPlace++;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== pat(d, off + i)) this.r.bad++;
    this.next[d] = off + bytes.length;
    this.r.delivered[d] += bytes.length;
    return StreamClaim.claimed;
  }
  onGap(d: StreamDir, at: number, n: number): void {
    if (at !== this.next[d]) this.r.outOfPlace++;
    this.next[d] = at + n;
    this.r.gaps[d] += n;
  }
  onAck(): void {}
  onClose(d: StreamDir, how: string): void {
    this.r.closes.push(`${d} ${how}`);
  }
  result(): unknown {
    return this.r;
  }
}

const factory = (port: number): StreamFactory => ({ name: "check", accept: (i) => (i.server.port === port ? new Checker() : null) });

function checked(file: string, port: number): Checked {
  const r = analyzeCapture(file, { protocols: [factory(port)] });
  const mine = r.connections.filter((c) => c.server.port === port);
  assert.equal(mine.length, 1, `one connection to port ${port} in ${file}`);
  return mine[0]!.app!.check as Checked;
}

const N = 3_000_000;
const M = 400_000;

test("tcpdump on a veth pair: every byte of a known pattern, in order, both ways; a snaplen cut turns into gaps", { skip: netnsSkipReason(["ip", "tcpdump"]) ?? false, timeout: NET_TEST_TIMEOUT_MS }, async () => {
  const pair = createVethPair();
  const file = join(dir, "veth.pcap");
  const cutFile = join(dir, "veth-cut.pcap");
  try {
    const cap = await pair.capture(file, ["-i", pair.devA, "-s", "0", "tcp port 7001"]);
    const cut = await pair.capture(cutFile, ["-i", pair.devA, "-s", "200", "tcp port 7001"]);
    const srv = pair.spawn(pair.nsB, process.execPath, [serverJs, String(N), String(M), "7001"]);
    await new Promise<void>((res, rej) => {
      srv.stdout!.once("data", () => res());
      srv.once("exit", (c) => rej(new Error(`server exited ${c}`)));
    });
    const out = pair.exec(pair.nsA, process.execPath, [clientJs, pair.ipB, String(N), String(M), "7001"]);
    assert.equal(out, "");
    await new Promise<void>((res) => (srv.exitCode !== null ? res() : srv.once("exit", () => res())));
    assert.equal(srv.exitCode, 0, "the server got the right bytes");
    await cap.stop();
    await cut.stop();
    const dropped = /(\d+) packets? dropped by kernel/.exec(cap.log());
    const c = checked(file, 7001);
    assert.deepEqual([c.bad, c.outOfPlace], [0, 0]);
    if (dropped && dropped[1] !== "0") {
      console.log(`# tcpdump dropped packets (${cap.log()}): gaps allowed`);
      assert.deepEqual([c.delivered[0] + c.gaps[0], c.delivered[1] + c.gaps[1]], [N, M]);
    } else {
      assert.deepEqual(c.delivered, [N, M]);
      assert.deepEqual(c.gaps, [0, 0]);
      assert.ok(c.closes.includes("0 fin") && c.closes.includes("1 fin"), c.closes.join());
    }
    assert.equal(c.closes.at(-1), "0 end");

    // Asking for the reader thread changes nothing: with protocols the capture is read in this thread.
    const viaWorker = analyzeCapture(file, { protocols: [factory(7001)], readWorker: true }).connections.find((x) => x.server.port === 7001)!;
    assert.deepEqual(viaWorker.app!.check, c);

    const k = checked(cutFile, 7001);
    assert.deepEqual([k.bad, k.outOfPlace], [0, 0]);
    assert.deepEqual([k.delivered[0] + k.gaps[0], k.delivered[1] + k.gaps[1]], [N, M], "every byte delivered or reported missing");
    assert.ok(k.gaps[0] > N / 2, `most of each 1448-byte segment is cut by -s 200: ${k.gaps[0]}`);
    assert.ok(k.delivered[0] > 0);
  } finally {
    pair.close();
  }
});

test("lab link with seeded loss, captured after the drops: holes held and filled by retransmissions, every byte once", { skip: netnsSkipReason(["ip"]) ?? false, timeout: NET_TEST_TIMEOUT_MS }, () => {
  const file = join(dir, "lossy.pcap");
  const lab = runCli([
    "lab", "link", "--rtt", "1ms", "--loss", "2%", "--seed", "3", "--pcap-side", "b", "--pcap", file,
    "--server", `${process.execPath} ${serverJs} ${N} ${M} 7002`,
    "--client", `${process.execPath} ${clientJs} $TCPWIN_LAB_B ${N} ${M} 7002`,
  ]);
  assert.equal(lab.status, 0, `lab link failed: ${lab.stderr.slice(-800)}`);
  const r = analyzeCapture(file, { protocols: [factory(7002)] });
  const conn = r.connections.find((c) => c.server.port === 7002)!;
  const flags = conn.c2s.flags;
  // The capture must show what this test is about: data arriving after a hole, and the resends.
  assert.ok((flags.lost_segment ?? 0) + (flags.out_of_order ?? 0) > 0, `holes in the capture: ${JSON.stringify(flags)}`);
  const c = conn.app!.check as Checked;
  assert.deepEqual([c.bad, c.outOfPlace], [0, 0]);
  assert.deepEqual(c.delivered, [N, M]);
  assert.deepEqual(c.gaps, [0, 0]);
});
