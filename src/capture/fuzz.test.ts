/**
 * Fuzz: random bytes and mutated valid captures through openCapture + decodeTcpPacket.
 * Asserts: no throw, the loop ends, every offset reported lies inside the input, every record lies
 * inside the reader's buffer, decode offsets inside the frame. Bounded by FUZZ_SECONDS (default 8).
 * Each case derives from its own seed; a failure prints it, and FUZZ_CASE=<seed> replays just that one.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cat, epb, eth, idb, ipv4, ipv6, opt, pcapFile, shb, spb, pb, sll2, tcp } from "../../test/fixtures/capture/builders.js";
import { cleanupTemp, tempFile } from "../../test/fixtures/capture/read-all.js";
import { openCapture } from "./open.js";
import { PacketRef, TcpPacket } from "./packet.js";
import { decodeTcpPacket } from "./decode.js";
import { mulberry32 as rng } from "../model/prng.js";

after(cleanupTemp);

function seeds(): Uint8Array[] {
  const frames = [
    eth(0x0800, ipv4(tcp({ flags: 2, options: cat(opt.mss(1460), opt.sackPerm(), opt.ts(1, 0), opt.nop(), opt.ws(7)) }))),
    eth(0x86dd, ipv6(tcp({ payload: 30, options: cat(opt.nop(), opt.nop(), opt.sack(1, 2, 3, 4)) }), { exts: [{ type: 0 }, { type: 44 }] })),
    eth(0x8100, ipv4(tcp({ payload: 100 })), [{ tpid: 0x88a8, vid: 3 }]),
  ];
  const recs = frames.map((data, i) => ({ tsSec: 1764000000 + i, tsFrac: i * 1000, data }));
  const out = [
    pcapFile(recs),
    pcapFile(recs, { le: false, ns: true, snaplen: 96 }),
    pcapFile(recs.map((r) => ({ ...r, data: sll2(0x0800, ipv4(tcp({ payload: 20 }))) })), { linkType: 276 }),
    cat(shb(true), idb(true, 1, 0), idb(true, 101, 128, { tsresol: 9 }), epb(true, 0, 5n, frames[0]!), epb(true, 1, 6n, ipv4(tcp({}))), spb(true, frames[1]!), pb(true, 0, 7n, frames[2]!)),
    cat(shb(false), idb(false, 1, 0, { tsresol: 0x88 }), epb(false, 0, 5n, frames[1]!), shb(true), idb(true, 1, 64), spb(true, frames[2]!)),
  ];
  const dir = new URL("../../../shared/fixtures/rocketmq/", import.meta.url).pathname;
  if (existsSync(dir)) for (const f of readdirSync(dir).filter((n) => n.endsWith(".pcap")).slice(0, 3)) out.push(new Uint8Array(readFileSync(join(dir, f))));
  return out;
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(r() * n);
  const kind = pick(7);
  if (kind === 0) return Uint8Array.from({ length: pick(600) }, () => pick(256)); // pure random
  let b: Uint8Array = src.slice();
  const rounds = 1 + pick(4);
  for (let k = 0; k < rounds && b.length > 0; k++) {
    switch (kind === 6 ? pick(6) : kind) {
      case 1: // bit flips
        for (let i = 0, n = 1 + pick(8); i < n; i++) b[pick(b.length)]! ^= 1 << pick(8);
        break;
      case 2: // truncation
        b = b.slice(0, pick(b.length + 1));
        break;
      case 3: {
        // length-like field corruption: a u32 at a 4-aligned offset
        const o = pick(Math.max(1, b.length >> 2)) * 4;
        const vals = [0, 1, 11, 12, 0xffffffff, 0x7fffffff, 262145, pick(4096), b.length, 0x10000000];
        const v = vals[pick(vals.length)]!;
        if (o + 4 <= b.length) new DataView(b.buffer).setUint32(o, v >>> 0, r() < 0.5);
        break;
      }
      case 4: {
        // garbage inserted
        const at = pick(b.length + 1);
        b = cat(b.subarray(0, at), Uint8Array.from({ length: 1 + pick(64) }, () => pick(256)), b.subarray(at));
        break;
      }
      case 5: {
        // a slice duplicated (repeated/misaligned records)
        const a = pick(b.length);
        const e = Math.min(b.length, a + pick(200));
        b = cat(b, b.subarray(a, e));
        break;
      }
    }
  }
  return b;
}

let fuzzPath: string | undefined;
function runCase(input: Uint8Array, caseSeed: number, chunk: number): void {
  // One file rewritten per case: no directory of 80 000 files.
  fuzzPath ??= tempFile(new Uint8Array(0), "fuzz.bin");
  const path = fuzzPath;
  writeFileSync(path, input);
  const ctx = `case seed ${caseSeed} (replay: FUZZ_CASE=${caseSeed}); input kept at ${path}`;
  const reader = openCapture(path, { chunkSize: chunk });
  const pkt = new PacketRef();
  const seg = new TcpPacket();
  let n = 0;
  while (reader.next(pkt)) {
    n++;
    assert.ok(n <= input.length / 12 + 1, `too many records: ${ctx}`);
    assert.ok(pkt.offset >= 0 && pkt.offset + pkt.caplen <= pkt.bytes.length, `record outside buffer: ${ctx}`);
    assert.ok(pkt.fileOffset >= 0 && pkt.fileOffset + pkt.caplen <= input.length, `record outside input: ${ctx}`);
    decodeTcpPacket(pkt, seg);
    if (seg.decodeErrorOffset >= 0) assert.ok(seg.decodeErrorOffset <= pkt.caplen, `decode offset ${seg.decodeErrorOffset} > caplen: ${ctx}`);
  }
  for (const w of [...reader.warnings, ...(reader.error ? [reader.error] : [])]) {
    assert.ok(w.fileOffset >= 0 && w.fileOffset <= input.length, `offset ${w.fileOffset} outside input (${input.length} B), ${w.code}: ${ctx}`);
    assert.ok(w.message.length > 0);
  }
  assert.equal(reader.next(pkt), false, `reader restarted after the end: ${ctx}`);
  reader.close();
}

test("fuzz: random and mutated captures never throw, hang or report offsets outside the input", () => {
  const base = seeds();
  const only = process.env.FUZZ_CASE;
  const seconds = Number(process.env.FUZZ_SECONDS ?? 8);
  const start = Date.now();
  let cases = 0;
  for (let i = 0; ; i++) {
    const caseSeed = only !== undefined ? Number(only) : 20261125 + i;
    const r = rng(caseSeed);
    const input = mutate(base[Math.floor(r() * base.length)]!, r);
    const chunk = [64, 100, 4096, 1 << 20][Math.floor(r() * 4)]!;
    try {
      runCase(input, caseSeed, chunk);
    } catch (e) {
      writeFileSync(`/tmp/tcpwin-fuzz-${caseSeed}.bin`, input);
      throw new Error(`fuzz failure, case seed ${caseSeed}, input saved to /tmp/tcpwin-fuzz-${caseSeed}.bin: ${(e as Error).message}`, { cause: e });
    }
    cases++;
    if (only !== undefined || Date.now() - start > seconds * 1000) break;
  }
  console.log(`# fuzz: ${cases} cases in ${((Date.now() - start) / 1000).toFixed(1)} s`);
});
