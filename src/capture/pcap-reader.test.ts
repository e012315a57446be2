import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cat, eth, ipv4, pcapFile, tcp, type Rec } from "../../test/fixtures/capture/builders.js";
import { cleanupTemp, readAll, tempFile } from "../../test/fixtures/capture/read-all.js";
import { CaptureCode } from "./reader-types.js";

after(cleanupTemp);

function recs(n: number, size = (i: number) => 60 + ((i * 37) % 200)): Rec[] {
  const out: Rec[] = [];
  for (let i = 0; i < n; i++) {
    const f = eth(0x0800, ipv4(tcp({ seq: i, payload: size(i) })));
    out.push({ tsSec: 1700000000 + i, tsFrac: (i * 1234) % 1000000, data: f, origLen: f.length + (i % 3 === 0 ? 100 : 0) });
  }
  return out;
}

test("µs and ns, little and big endian: every field of every record, at any chunk size", () => {
  const rs = recs(40);
  for (const le of [true, false]) {
    for (const ns of [false, true]) {
      const file = pcapFile(rs, { le, ns, linkType: 1, snaplen: 65535 });
      for (const chunk of [undefined, 64, 100, 333, 4096]) {
        const { recs: got, reader } = readAll(file, chunk);
        const what = `le=${le} ns=${ns} chunk=${chunk}`;
        assert.equal(reader.error, null, what);
        assert.deepEqual(reader.warnings, [], what);
        assert.equal(reader.format, "pcap");
        assert.equal(got.length, rs.length, what);
        let off = 24;
        for (let i = 0; i < rs.length; i++) {
          const r = rs[i]!;
          const g = got[i]!;
          assert.equal(g.frame, i + 1);
          assert.equal(g.tsSec, r.tsSec);
          assert.equal(g.tsNsec, ns ? r.tsFrac : r.tsFrac * 1000, what);
          assert.equal(g.caplen, r.data.length);
          assert.equal(g.origLen, r.origLen);
          assert.equal(g.linkType, 1);
          assert.equal(g.fileOffset, off, what);
          assert.deepEqual(g.data, r.data, what);
          off += 16 + r.data.length;
        }
        assert.equal(reader.stats.frames, rs.length);
        assert.equal(reader.stats.bytesRead, file.length);
        assert.equal(reader.interfaces[0]!.snaplen, 65535);
        assert.equal(reader.interfaces[0]!.tsUnitsPerSec, ns ? 1e9 : 1e6);
      }
    }
  }
});

test("the link type field's FCS bits are not part of the link type", () => {
  const f = pcapFile(recs(1), { linkType: 0x14000001 });
  const { recs: got } = readAll(f);
  assert.equal(got[0]!.linkType, 1);
});

test("empty file, short file, wrong magic: error at offset 0, nothing delivered, no throw", () => {
  for (const [bytes, code] of [
    [new Uint8Array(0), CaptureCode.empty],
    [Uint8Array.of(0xd4, 0xc3), CaptureCode.badMagic],
    [new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), CaptureCode.badMagic],
    [pcapFile([]).subarray(0, 20), CaptureCode.truncatedFileHeader],
  ] as const) {
    const { recs: got, reader } = readAll(bytes);
    assert.equal(got.length, 0);
    assert.equal(reader.error?.code, code);
    assert.equal(reader.error?.fileOffset, 0);
  }
  const { reader } = readAll(Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 1, 2, 3));
  assert.match(reader.error!.message, /gzip/);
});

test("a header-only file is a valid empty capture", () => {
  const { recs: got, reader } = readAll(pcapFile([]));
  assert.equal(got.length, 0);
  assert.equal(reader.error, null);
});

test("truncated file: all whole records delivered, error names the record and its offset", () => {
  const rs = recs(5);
  const full = pcapFile(rs);
  const lastOff = full.length - 16 - rs[4]!.data.length;
  for (const cut of [full.length - 1, lastOff + 16, lastOff + 5]) {
    const { recs: got, reader } = readAll(full.subarray(0, cut), 64);
    assert.equal(got.length, 4, `cut ${cut}`);
    assert.equal(reader.error?.code, CaptureCode.truncatedRecord);
    assert.equal(reader.error?.fileOffset, lastOff);
    assert.equal(reader.error?.frame, 5);
  }
});

test("record longer than 256 KiB or its snaplen, and garbage in the middle: skipped with offsets, the rest read", () => {
  const rs = recs(10);
  const head = pcapFile(rs.slice(0, 4), { snaplen: 1000 });
  const tail = pcapFile(rs.slice(4), { snaplen: 1000 }).subarray(24);
  // 1. incl_len 300000: not a record.
  const huge = cat(head, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0xe0, 0x93, 0x04, 0, 0xe0, 0x93, 0x04, 0), new Uint8Array(50).fill(0xee), tail);
  let r = readAll(huge, 128);
  assert.equal(r.recs.length, 10);
  assert.equal(r.reader.error, null);
  assert.equal(r.reader.warnings[0]!.code, CaptureCode.recordTooLong);
  assert.equal(r.reader.warnings[0]!.fileOffset, head.length);
  assert.equal(r.reader.warnings[1]!.code, CaptureCode.garbageSkipped);
  assert.equal(r.reader.warnings[1]!.fileOffset, head.length);
  assert.equal(r.reader.stats.bytesSkipped, 66);
  assert.deepEqual(r.recs[4]!.data, rs[4]!.data);
  // 2. Random garbage (no record header) between records.
  let seed = 7;
  const junk = Uint8Array.from({ length: 777 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) | 0x80);
  r = readAll(cat(head, junk, tail), 100);
  assert.equal(r.recs.length, 10);
  assert.equal(r.reader.stats.bytesSkipped, 777);
  assert.ok(r.reader.warnings.some((w) => w.code === CaptureCode.garbageSkipped && w.fileOffset === head.length));
  // 3. incl_len above the snaplen but followed by a valid record: kept, with a warning.
  const big = eth(0x0800, ipv4(tcp({ payload: 1400 })));
  const over = pcapFile([...rs.slice(0, 2), { tsSec: 1700000002, tsFrac: 0, data: big }, ...rs.slice(3)], { snaplen: 1000 });
  r = readAll(over);
  assert.equal(r.recs.length, 10);
  assert.equal(r.reader.warnings.length, 1);
  assert.equal(r.reader.warnings[0]!.code, CaptureCode.recordExceedsSnaplen);
  // 4. Garbage until EOF: error, the records before it delivered.
  r = readAll(cat(head, junk));
  assert.equal(r.recs.length, 4);
  assert.equal(r.reader.error?.code, CaptureCode.unrecoverable);
  assert.equal(r.reader.error?.fileOffset, head.length);
});

test("unknown link type: a warning at the header's link-type field, records still delivered", () => {
  const { recs: got, reader } = readAll(pcapFile(recs(3), { linkType: 147 }));
  assert.equal(got.length, 3);
  assert.equal(reader.warnings[0]!.code, CaptureCode.unknownLinkType);
  assert.equal(reader.warnings[0]!.fileOffset, 20);
});

test("stdin (-): a pipe, records spanning reads, same result as the file", () => {
  const rs = recs(300, (i) => 1400 + (i % 7));
  const file = tempFile(pcapFile(rs, { ns: true }));
  const script = `
    import { openCapture, PacketRef } from "./src/capture/index.ts";
    const r = openCapture("-", { chunkSize: 5000 }); const p = new PacketRef(); let n = 0, sum = 0;
    while (r.next(p)) { n++; sum = (sum + p.bytes[p.offset + p.caplen - 1] + p.tsNsec) % 1e9; }
    console.log(JSON.stringify({ n, sum, error: r.error }));`;
  const res = spawnSync("sh", ["-c", `cat '${file}' | node --import tsx --input-type=module -e '${script.replace(/'/g, "'\\''")}'`], {
    cwd: new URL("../..", import.meta.url).pathname,
    encoding: "utf8",
    timeout: 30000, killSignal: "SIGKILL",
  });
  assert.equal(res.status, 0, res.stderr);
  const out = JSON.parse(res.stdout) as { n: number; sum: number; error: unknown };
  let sum = 0;
  for (const r of rs) sum = (sum + r.data[r.data.length - 1]! + r.tsFrac) % 1e9;
  assert.deepEqual(out, { n: 300, sum, error: null });
});

test("stdin that is non-blocking and slow (EAGAIN) is waited for, not taken as EOF", { skip: spawnSync("python3", ["-c", "pass"], { stdio: "ignore", timeout: 30_000, killSignal: "SIGKILL" }).status === 0 ? false : "needs python3 installed" }, () => {
  const rs = recs(200, (i) => 100 + i);
  const file = tempFile(pcapFile(rs));
  const script = `import { openCapture, PacketRef } from "./src/capture/index.ts";
    const r = openCapture("-"); const p = new PacketRef(); let n = 0; while (r.next(p)) n++; console.log(n, r.error === null);`;
  // python sets O_NONBLOCK on fd 0 and execs node; the writer pauses mid-record.
  const py = `import os,fcntl,sys; fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK); os.execvp(sys.argv[1], sys.argv[1:])`;
  const res = spawnSync(
    "sh",
    ["-c", `(sleep 1; head -c 1000 '${file}'; sleep 0.5; tail -c +1001 '${file}') | python3 -c '${py}' '${process.execPath}' --import tsx --input-type=module -e '${script}'`],
    { cwd: new URL("../..", import.meta.url).pathname, encoding: "utf8", timeout: 30000, killSignal: "SIGKILL" },
  );
  assert.equal(res.stdout.trim(), "200 true", res.stderr);
});
