import { after, test } from "node:test";
import assert from "node:assert/strict";
import { block, cat, epb, epbDropcount, eth, idb, ipv4, isb, pb, shb, spb, tcp } from "../../test/fixtures/capture/builders.js";
import { cleanupTemp, readAll } from "../../test/fixtures/capture/read-all.js";
import { CaptureCode } from "./reader-types.js";
import { splitTimestamp } from "./pcapng-reader.js";

after(cleanupTemp);

const frame = (seq: number, n = 50) => eth(0x0800, ipv4(tcp({ seq, payload: n })));

test("both byte orders, several interfaces with their own link type and if_tsresol/if_tsoffset, EPB/SPB/PB, unknown blocks", () => {
  for (const le of [true, false]) {
    const f1 = frame(1);
    const f2 = ipv4(tcp({ seq: 2, payload: 7 }));
    const f3 = frame(3, 1000);
    const f4 = frame(4, 3);
    const f5 = frame(5, 9);
    const file = cat(
      shb(le),
      idb(le, 1, 262144), // µs default
      idb(le, 101, 65535, { tsresol: 9 }), // ns
      idb(le, 1, 200, { tsresol: 0x80 | 20, tsoffset: 1000n }), // 2^-20 s, +1000 s
      epb(le, 0, 1700000000123456n, f1, f1.length, "a comment option"),
      block(0x0bad, new Uint8Array(20), le), // unknown block type
      block(5, new Uint8Array(12), le), // ISB without counters: read, says nothing
      epb(le, 1, 1700000000999999999n, f2),
      epb(le, 2, (5n << 20n) | 524288n, f3.subarray(0, 200), f3.length),
      pb(le, 0, 1700000001000001n, f4),
      spb(le, f5),
    );
    for (const chunk of [undefined, 64, 96, 1000]) {
      const { recs, reader } = readAll(file, chunk);
      const what = `le=${le} chunk=${chunk}`;
      assert.equal(reader.error, null, what);
      assert.deepEqual(reader.warnings, [], what);
      assert.equal(reader.format, "pcapng");
      assert.equal(recs.length, 5, what);
      assert.deepEqual(
        recs.map((r) => [r.frame, r.interfaceId, r.linkType, r.tsSec, r.tsNsec, r.caplen, r.origLen]),
        [
          [1, 0, 1, 1700000000, 123456000, f1.length, f1.length],
          [2, 1, 101, 1700000000, 999999999, f2.length, f2.length],
          [3, 2, 1, 1005, 500000000, 200, f3.length],
          [4, 0, 1, 1700000001, 1000, f4.length, f4.length],
          [5, 0, 1, 0, 0, f5.length, f5.length],
        ],
        what,
      );
      assert.deepEqual(recs[0]!.data, f1);
      assert.deepEqual(recs[1]!.data, f2);
      assert.deepEqual(recs[2]!.data, f3.subarray(0, 200));
      assert.deepEqual(recs[4]!.data, f5);
      assert.equal(reader.stats.blocksSkipped, 1);
      assert.deepEqual(reader.drops().dropped, null, what);
      assert.equal(reader.stats.littleEndian, le);
      assert.equal(reader.interfaces.length, 3);
    }
  }
});

test("drop counters: the last ISB per interface, summed over interfaces (ifdrop + osdrop); epb_dropcount when no ISB says", () => {
  for (const le of [true, false]) {
    const f = frame(1);
    const file = cat(
      shb(le),
      idb(le, 1, 0),
      idb(le, 1, 0),
      epb(le, 0, 1n, f),
      isb(le, 0, { ifrecv: 100n, ifdrop: 5n }), // superseded by the later ISB of interface 0
      epb(le, 1, 2n, f),
      isb(le, 0, { ifrecv: 90_000n, ifdrop: 86_968n }),
      isb(le, 1, { ifrecv: 10n, ifdrop: 2n, osdrop: 3n }),
      isb(le, 1 << 20, { ifdrop: 1n }), // no such interface: a warning, ignored
    );
    for (const chunk of [undefined, 64]) {
      const { recs, reader } = readAll(file, chunk);
      assert.equal(recs.length, 2);
      assert.equal(reader.error, null);
      assert.deepEqual(reader.warnings.map((w) => w.code), [CaptureCode.unknownInterface]);
      assert.deepEqual(reader.drops(), {
        dropped: 86_968 + 2 + 3,
        source: "interface_statistics",
        isb_ifrecv: 90_010,
        isb_ifdrop: 86_970,
        isb_osdrop: 3,
        epb_dropcount: null,
      });
    }
    const { recs, reader } = readAll(cat(shb(le), idb(le, 1, 0), epbDropcount(le, 0, 1n, f, 7n), epb(le, 0, 2n, f), epbDropcount(le, 0, 3n, f, 2n ** 33n)));
    assert.deepEqual(recs.map((r) => r.data.length), [f.length, f.length, f.length]);
    assert.deepEqual(recs[0]!.data, f);
    assert.deepEqual(reader.drops(), { dropped: 7 + 2 ** 33, source: "packet_blocks", isb_ifrecv: null, isb_ifdrop: null, isb_osdrop: null, epb_dropcount: 7 + 2 ** 33 });
    // An ISB saying 0 dropped is a statement: dropped 0, not null.
    assert.equal(readAll(cat(shb(le), idb(le, 1, 0), isb(le, 0, { ifrecv: 3n, ifdrop: 0n }))).reader.drops().dropped, 0);
  }
});

test("SPB takes IDB 0's snaplen; multiple sections restart interface numbering, byte order may change", () => {
  const f = frame(1, 300);
  const file = cat(shb(true), idb(true, 1, 100), spb(true, f), shb(false), idb(false, 101, 0, { tsresol: 3 }), epb(false, 0, 1234567n, ipv4(tcp({ seq: 9 }))));
  const { recs, reader } = readAll(file);
  assert.equal(reader.error, null);
  assert.equal(recs.length, 2);
  assert.equal(recs[0]!.caplen, 100);
  assert.equal(recs[0]!.origLen, f.length);
  assert.deepEqual([recs[1]!.linkType, recs[1]!.tsSec, recs[1]!.tsNsec], [101, 1234, 567000000]);
  assert.equal(reader.stats.sections, 2);
  assert.equal(reader.interfaces[1]!.section, 1);
});

test("block whose two lengths differ: warning with both lengths and the offset, later blocks still read", () => {
  const le = true;
  const good = cat(shb(le), idb(le, 1, 0), epb(le, 0, 1n, frame(1)));
  const bad = block(6, cat(new Uint8Array(20), frame(2)).subarray(0, 72), le, 999);
  const rest = cat(epb(le, 0, 3n, frame(3)), epb(le, 0, 4n, frame(4)));
  const { recs, reader } = readAll(cat(good, bad, rest), 80);
  assert.deepEqual(recs.map((r) => r.tsNsec), [1000, 3000, 4000]);
  assert.equal(reader.warnings[0]!.code, CaptureCode.blockLengthMismatch);
  assert.equal(reader.warnings[0]!.fileOffset, good.length);
  assert.match(reader.warnings[0]!.message, /leading total length 84, trailing 999/);
  assert.equal(reader.warnings[1]!.code, CaptureCode.garbageSkipped);
  assert.equal(reader.stats.bytesSkipped, bad.length);
  assert.equal(reader.error, null);
});

test("bad lengths, unknown interface, truncated file, missing SHB, bad byte-order magic", () => {
  const le = false;
  const head = cat(shb(le), idb(le, 1, 0));
  // Unknown interface id: skipped with a warning.
  let r = readAll(cat(head, epb(le, 5, 1n, frame(1)), epb(le, 0, 2n, frame(2))));
  assert.equal(r.recs.length, 1);
  assert.equal(r.reader.warnings[0]!.code, CaptureCode.unknownInterface);
  assert.equal(r.reader.warnings[0]!.fileOffset, head.length + 8);
  // Length not a multiple of 4.
  const odd = cat(head, Uint8Array.of(0, 0, 0, 6, 0, 0, 0, 13), new Uint8Array(9), epb(le, 0, 2n, frame(2)));
  r = readAll(odd);
  assert.equal(r.recs.length, 1);
  assert.equal(r.reader.warnings[0]!.code, CaptureCode.badBlockLength);
  assert.equal(r.reader.warnings[0]!.fileOffset, head.length + 4);
  // Truncated inside a block.
  const full = cat(head, epb(le, 0, 1n, frame(1)), epb(le, 0, 2n, frame(2)));
  r = readAll(full.subarray(0, full.length - 10));
  assert.equal(r.recs.length, 1);
  assert.equal(r.reader.error?.code, CaptureCode.truncatedRecord);
  assert.equal(r.reader.error?.fileOffset, head.length + epb(le, 0, 1n, frame(1)).length);
  // Missing SHB is caught by the magic check; a bad BOM in the first SHB cannot be resynchronised.
  const badBom = shb(true);
  badBom[8] = 0x11;
  r = readAll(cat(badBom, idb(true, 1, 0)));
  assert.equal(r.recs.length, 0);
  assert.ok(r.reader.error);
  assert.equal(r.reader.warnings[0]!.code, CaptureCode.badByteOrderMagic);
  assert.equal(r.reader.warnings[0]!.fileOffset, 8);
  // Unknown link type in an IDB: a warning naming the interface.
  r = readAll(cat(shb(true), idb(true, 147, 0), epb(true, 0, 1n, frame(1))));
  assert.equal(r.recs.length, 1);
  assert.equal(r.reader.warnings[0]!.code, CaptureCode.unknownLinkType);
  assert.equal(r.reader.warnings[0]!.fileOffset, 28 + 8);
});

test("a big unknown block is streamed past, not held in memory", () => {
  const big = block(0x40000bad, new Uint8Array(20 << 20), true);
  const { recs, reader } = readAll(cat(shb(true), idb(true, 1, 0), big, epb(true, 0, 7n, frame(1))), 4096);
  assert.equal(reader.error, null);
  assert.equal(recs.length, 1);
  assert.equal(recs[0]!.tsNsec, 7000);
});

test("timestamp split is exact for 64-bit values", () => {
  const t = { tsSec: 0, tsNsec: 0 };
  const check = (v: bigint, units: number, sec: number, nsec: number) => {
    splitTimestamp(t, Number(v >> 32n), Number(v & 0xffffffffn), units, 0);
    assert.deepEqual([t.tsSec, t.tsNsec], [sec, nsec], `${v} / ${units}`);
  };
  check(1764079999123456789n, 1e9, 1764079999, 123456789);
  check(0xffffffffffffffffn, 1e9, 18446744073, 709551615);
  check(1764079999123456n, 1e6, 1764079999, 123456000);
  check((1764079999n << 20n) | 1n, 2 ** 20, 1764079999, 953);
  check(1764079999123n, 1e3, 1764079999, 123000000);
  const ps = 1764079999123456789123n & 0xffffffffffffffffn; // picoseconds, through the BigInt path
  check(ps, 1e12, Number(ps / 1000000000000n), Number((ps % 1000000000000n) / 1000n));
});
