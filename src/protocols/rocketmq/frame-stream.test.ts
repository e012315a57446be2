import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameStream, RESYNC_SCAN_MAX, type StreamEvent, type StreamFrame, type StreamError } from "./frame-stream.js";
import { encodeFrame, SerializeType } from "./frame.js";

function frames(): Uint8Array[] {
  return [
    encodeFrame({ code: 105, opaque: 1, version: 293, extFields: { topic: "TBW102" } }),
    encodeFrame({ code: 0, flag: 1, opaque: 1, version: 293, body: "x".repeat(300) }),
    encodeFrame({ code: 103, opaque: 2, version: 401, remark: "r", extFields: { a: "b" }, body: new Uint8Array(5000).fill(7) }, SerializeType.ROCKETMQ),
    encodeFrame({ code: 15, flag: 2, opaque: 3, version: 293 }),
  ];
}
const cat = (bs: Uint8Array[]) => {
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bs) out.set(b, o), (o += b.length);
  return out;
};

function run(feed: (s: FrameStream) => void, keep?: (code: number) => boolean): { fr: StreamFrame[]; er: StreamError[] } {
  const fr: StreamFrame[] = [];
  const er: StreamError[] = [];
  const s = new FrameStream((e: StreamEvent) => (e.kind === "frame" ? fr.push(e.frame) : er.push(e.error)), keep ? { keepBody: (h) => keep(h.code) } : {});
  feed(s);
  return { fr, er };
}

test("chunks split anywhere give the same frames, offsets and bodies", () => {
  const fs = frames();
  const all = cat(fs);
  const want = run((s) => s.push(all, 5, 1));
  assert.equal(want.er.length, 0);
  assert.deepEqual(want.fr.map((f) => [f.header.code, f.offset, f.frameBytes]), [[105, 0, fs[0]!.length], [0, fs[0]!.length, fs[1]!.length], [103, fs[0]!.length + fs[1]!.length, fs[2]!.length], [15, all.length - fs[3]!.length, fs[3]!.length]]);
  assert.equal(want.fr[2]!.body!.length, 5000);
  for (let cut = 1; cut < all.length; cut += 37) {
    for (const step of [1, 7, 1000]) {
      const got = run((s) => {
        s.push(all.subarray(0, cut), 1, 1);
        for (let i = cut, k = 2; i < all.length; i += step, k++) s.push(all.subarray(i, Math.min(all.length, i + step)), k, k);
      });
      assert.equal(got.er.length, 0);
      assert.deepEqual(got.fr.map((f) => [f.header.code, f.header.opaque, f.offset, f.bodyLen, f.body && [...f.body.subarray(0, 3)]]), want.fr.map((f) => [f.header.code, f.header.opaque, f.offset, f.bodyLen, f.body && [...f.body.subarray(0, 3)]]), `cut ${cut} step ${step}`);
    }
  }
});

test("first/last byte times and frame numbers are those of the chunks that carried them", () => {
  const f = frames()[2]!;
  const r = run((s) => {
    s.push(f.subarray(0, 100), 10, 3);
    s.push(f.subarray(100, 3000), 20, 4);
    s.push(f.subarray(3000), 30, 6);
  });
  assert.deepEqual([r.fr[0]!.firstTsNs, r.fr[0]!.firstFrame, r.fr[0]!.lastTsNs, r.fr[0]!.lastFrame], [10, 3, 30, 6]);
});

test("bodies are copied only when asked; the first two body bytes are kept anyway", () => {
  const r = run((s) => s.push(cat(frames())), (code) => code === 103);
  assert.deepEqual(r.fr.map((f) => f.body === null), [true, true, false, true]);
  assert.deepEqual([...r.fr[1]!.bodyHead], [0x78, 0x78]);
});

test("a gap inside a body loses only that body; a gap over a boundary resynchronises at the next frame", () => {
  const fs = frames();
  const all = cat(fs);
  const b2 = fs[0]!.length + fs[1]!.length; // the 103 frame
  const inBody = run((s) => {
    s.push(all.subarray(0, b2 + 1000));
    s.gap(b2 + 1000, 2000);
    s.push(all.subarray(b2 + 3000));
  });
  assert.equal(inBody.er.length, 0);
  assert.deepEqual(inBody.fr.map((f) => f.header.code), [105, 0, 103, 15]);
  assert.equal(inBody.fr[2]!.gapBytes, 2000);
  assert.equal(inBody.fr[2]!.body, null);

  const over = run((s) => {
    s.push(all.subarray(0, 20)); // first frame's prefix + a bit of header
    s.gap(20, fs[0]!.length + 10 - 20); // its end and the start of the next
    s.push(all.subarray(fs[0]!.length + 10));
  });
  assert.deepEqual(over.fr.map((f) => f.header.code), [103, 15]);
  assert.equal(over.er.length, 1);
  assert.equal(over.er[0]!.code, "gap");
  assert.equal(over.er[0]!.offset, 20);
  assert.equal(over.er[0]!.resumedAt, b2);
  assert.equal(over.er[0]!.skippedBytes, fs[1]!.length - 10);
});

test("garbage between frames: one error where it starts, decoding resumes after it", () => {
  const fs = frames();
  const junk = new Uint8Array(300).map((_, i) => (i * 7919) & 0xff);
  const r = run((s) => s.push(cat([fs[0]!, junk, fs[3]!])));
  assert.deepEqual(r.fr.map((f) => f.header.code), [105, 15]);
  assert.equal(r.er.length, 1);
  // The offset names the bad field (here within the would-be prefix); the message the frame start.
  assert.ok(r.er[0]!.offset >= fs[0]!.length && r.er[0]!.offset < fs[0]!.length + 8, String(r.er[0]!.offset));
  assert.match(r.er[0]!.message, new RegExp(`^frame at stream offset ${fs[0]!.length}: `));
  assert.equal(r.er[0]!.resumedAt, fs[0]!.length + 300);
});

test("no boundary within the scan limit: the rest of the direction is undecodable, said once", () => {
  const r = run((s) => {
    s.push(Uint8Array.from([0x16, 3, 1, 2, 0, 1, 0, 1, 0xfc]));
    const z = new Uint8Array(64 * 1024).fill(0xff);
    for (let i = 0; i < (RESYNC_SCAN_MAX >> 16) + 4; i++) s.push(z);
  });
  assert.deepEqual(r.er.map((e) => e.code), ["frame_too_long", "undecodable"]);
  assert.equal(r.fr.length, 0);
});
