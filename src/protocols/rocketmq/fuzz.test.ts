/**
 * Fuzz: random bytes and mutated valid frames (JSON and binary headers, REGISTER_BROKER bodies
 * plain and deflated, route data) through decodeFrame, the chunked FrameStream, the body decoders
 * and the exchange tracker (random chunking, gaps and ACKs). Asserts: no throw, the loop ends,
 * every error offset lies inside the input, every frame inside the stream. Bounded by
 * FUZZ_SECONDS (default 4). Each case derives from its own seed; a failure prints it, and
 * FUZZ_CASE=<seed> replays just that one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { mulberry32 as rng } from "../../model/prng.js";
import { StreamClaim } from "../../tcp/stream.js";
import { decodeFrame, encodeFrame, SerializeType } from "./frame.js";
import { FrameStream } from "./frame-stream.js";
import { buildRegisterBrokerBody, countRegisterBodyTopics, decodeRegisterBrokerBody, registerBrokerRequest } from "./register-broker.js";
import { decodeTopicRouteData, encodeTopicRouteData } from "./route-data.js";
import { RocketmqHandler } from "./exchange-tracker.js";

const ID = { brokerName: "b", brokerAddr: "1.2.3.4:10911", clusterName: "C", haServerAddr: "1.2.3.4:10912", brokerId: 0 };

function cat(bs: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  let o = 0;
  for (const b of bs) out.set(b, o), (o += b.length);
  return out;
}

function seeds(): Uint8Array[] {
  const plain = buildRegisterBrokerBody({ version: 401, topics: 30 }).bytes;
  const zipped = buildRegisterBrokerBody({ version: 479, topics: 30, compress: true }).bytes;
  const route = encodeTopicRouteData({ brokerDatas: [{ cluster: "C", brokerName: "b", brokerAddrs: { 0: "1.2.3.4:10911", 1: "1.2.3.5:10911" } }], queueDatas: [{ brokerName: "b", perm: 6, readQueueNums: 4, writeQueueNums: 4, topicSysFlag: 0 }], filterServerTable: {} }, 293);
  return [
    encodeFrame({ code: 105, opaque: 5731, version: 293, extFields: { topic: "TBW102" } }),
    encodeFrame({ code: 0, flag: 1, opaque: 5731, version: 293, body: route }),
    encodeFrame(registerBrokerRequest(ID, plain, { version: 401, opaque: 7 })),
    encodeFrame(registerBrokerRequest(ID, zipped, { version: 479, opaque: 8 }), SerializeType.ROCKETMQ),
    encodeFrame({ code: 34, opaque: 9, version: 317, language: "GO", remark: "x", extFields: { a: "b" } }, SerializeType.JSON, { jsonStyle: "go" }),
    encodeFrame({ code: 15, flag: 2, opaque: 10, version: 433, extFields: { k: "v", k2: "v2" }, body: "{}" }, SerializeType.ROCKETMQ),
  ];
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(r() * n);
  const kind = pick(7);
  if (kind === 0) return Uint8Array.from({ length: pick(600) }, () => pick(256));
  let b: Uint8Array = src.slice();
  const rounds = 1 + pick(4);
  for (let k = 0; k < rounds && b.length > 0; k++) {
    switch (kind === 6 ? 1 + pick(5) : kind) {
      case 1:
        for (let i = 0, n = 1 + pick(8); i < n; i++) b[pick(b.length)]! ^= 1 << pick(8);
        break;
      case 2:
        b = b.slice(0, pick(b.length + 1));
        break;
      case 3: {
        // Length-like fields: the prefix words, a binary header's remark/ext lengths, anywhere.
        const o = [0, 4, 8 + 13, 8 + 17, pick(Math.max(1, b.length - 3))][pick(5)]!;
        const vals = [0, 1, 3, 4, 8, 21, 0x7fffffff, 0xffffffff, 0x01000000, 0x02000010, b.length, b.length - 4, pick(70000)];
        if (o + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(o, vals[pick(vals.length)]! >>> 0);
        break;
      }
      case 4: {
        const at = pick(b.length + 1);
        b = cat([b.subarray(0, at), Uint8Array.from({ length: 1 + pick(64) }, () => pick(256)), b.subarray(at)]);
        break;
      }
      case 5: {
        const a = pick(b.length);
        b = cat([b, b.subarray(a, Math.min(b.length, a + pick(300)))]);
        break;
      }
    }
  }
  return b;
}

function runCase(input: Uint8Array, r: () => number, ctx: string): void {
  const one = decodeFrame(input);
  if (!one.ok) assert.ok(one.error.offset >= 0 && one.error.offset <= input.length, `decodeFrame offset ${one.error.offset}: ${ctx}`);
  else if (one.value.body !== null) {
    decodeRegisterBrokerBody(one.value.body, r() < 0.5);
    decodeTopicRouteData(one.value.body);
  }
  const tail = input.subarray(8 + Math.floor(r() * 64));
  decodeRegisterBrokerBody(tail);
  const n = countRegisterBodyTopics(tail);
  assert.ok(n === null || (Number.isInteger(n) && n >= 0 && n <= tail.length), `topic count ${n}: ${ctx}`);

  // The stream: the same bytes, chunked at random, with an occasional gap.
  let total = 0;
  const s = new FrameStream((ev) => {
    if (ev.kind === "frame") assert.ok(ev.frame.offset >= 0 && ev.frame.offset + ev.frame.frameBytes <= total, `frame outside the stream: ${ctx}`);
    else assert.ok(ev.error.offset >= 0 && ev.error.offset <= total, `error offset ${ev.error.offset} outside ${total}: ${ctx}`);
  });
  const h = new RocketmqHandler({ stream: 0, client: { addr: "a", port: 1 }, server: { addr: "b", port: 2 }, handshakeSeen: r() < 0.5 }, 3000);
  let claim: StreamClaim = StreamClaim.undecided;
  for (let i = 0; i < input.length; ) {
    const n = 1 + Math.floor(r() * 700);
    const end = Math.min(input.length, i + n);
    total = end;
    if (r() < 0.05) {
      s.gap(i, end - i);
      if (claim !== StreamClaim.released) h.onGap(0, i, end - i, i);
    } else {
      s.push(input.subarray(i, end), i, i);
      if (claim !== StreamClaim.released) claim = h.onData(r() < 0.8 ? 0 : 1, input.subarray(i, end), i, i * 1000, i);
    }
    if (r() < 0.2) h.onAck(0, end, i * 1000);
    i = end;
  }
  h.onClose(0, "end", input.length * 1000);
  const res = h.result();
  if (res !== null) JSON.stringify(res);
}

test("fuzz: random and mutated frames never throw, hang or report offsets outside the input", () => {
  const base = seeds();
  const only = process.env.FUZZ_CASE;
  const seconds = Number(process.env.FUZZ_SECONDS ?? 4);
  const start = Date.now();
  let cases = 0;
  for (let i = 0; ; i++) {
    const caseSeed = only !== undefined ? Number(only) : 20261207 + i;
    const r = rng(caseSeed);
    const first = mutate(base[Math.floor(r() * base.length)]!, r);
    // Sometimes a valid frame before and after, so resynchronisation is exercised.
    const input = r() < 0.4 ? cat([base[0]!, first, base[5]!]) : first;
    const ctx = `case seed ${caseSeed} (replay: FUZZ_CASE=${caseSeed})`;
    try {
      runCase(input, r, ctx);
    } catch (e) {
      writeFileSync(`/tmp/tcpwin-rmq-fuzz-${caseSeed}.bin`, input);
      throw new Error(`fuzz failure, ${ctx}, input saved to /tmp/tcpwin-rmq-fuzz-${caseSeed}.bin: ${(e as Error).message}`, { cause: e });
    }
    cases++;
    if (only !== undefined || Date.now() - start > seconds * 1000) break;
  }
  console.log(`# fuzz: ${cases} cases in ${((Date.now() - start) / 1000).toFixed(1)} s`);
});
