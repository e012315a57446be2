/**
 * The generated tcp_info code (scripts/gen-tcp-info.ts → src/kernel/tcp-info.gen.ts,
 * src/report/sockets-json-tcp-info.gen.ts) is what the generator writes from the one table today,
 * and the table itself is consistent: fields in offset order, no overlap, sizes that fit their kind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { generatedFiles } from "../scripts/gen-tcp-info.js";
import { TCP_INFO_FIELDS, TCP_INFO_MAX_LEN } from "../src/uapi/tcp-info-fields.js";
import { decodeTcpInfo } from "../src/kernel/tcp-info.js";

const ROOT = new URL("../", import.meta.url);

test("generated tcp_info files are up to date (npm run gen)", () => {
  for (const [rel, text] of Object.entries(generatedFiles())) {
    assert.equal(readFileSync(new URL(rel, ROOT), "utf8"), text, `${rel} is stale: run npm run gen`);
  }
});

test("tcp_info table: offset order, no overlap, ends at the largest known size", () => {
  const size = { u8: 1, u16: 2, u32: 4, u64: 8, lo4: 1, hi4: 1, bit0: 1, bits12: 1 } as const;
  let end = 0;
  let lastOffset = -1;
  for (const x of TCP_INFO_FIELDS) {
    assert.equal(x.size, size[x.kind], x.name);
    assert.ok(x.offset >= lastOffset, `${x.name} out of order`);
    // Bitfields share their byte; everything else starts where the previous field ended.
    if (x.offset !== lastOffset) assert.equal(x.offset, end, `${x.name}: gap or overlap at ${end}`);
    end = x.offset + x.size;
    lastOffset = x.offset;
  }
  assert.equal(end, TCP_INFO_MAX_LEN);
});

test("decoder reads each field at the table's offset (a distinct value planted per field)", () => {
  const b = new Uint8Array(TCP_INFO_MAX_LEN);
  const dv = new DataView(b.buffer);
  let v = 1;
  const want: Record<string, number> = {};
  for (const x of TCP_INFO_FIELDS) {
    if (x.kind === "lo4" || x.kind === "hi4" || x.kind === "bit0" || x.kind === "bits12") continue;
    v = (v * 7 + 3) % 200;
    if (x.size === 1) dv.setUint8(x.offset, v);
    else if (x.size === 2) dv.setUint16(x.offset, v + 300, true);
    else if (x.size === 4) dv.setUint32(x.offset, v + 70000, true);
    else dv.setBigUint64(x.offset, BigInt(v) + 5_000_000_000n, true);
    want[x.name] = x.size === 1 ? v : x.size === 2 ? v + 300 : x.size === 4 ? v + 70000 : v + 5_000_000_000;
  }
  dv.setUint8(6, 0x7e); // rcv_wscale 7, snd_wscale 14
  dv.setUint8(7, 0b101); // app_limited 1, fastopen_client_fail 2
  const i = decodeTcpInfo(b) as unknown as Record<string, number>;
  for (const [k, n] of Object.entries(want)) assert.equal(i[k], n, k);
  assert.equal(i.snd_wscale, 14);
  assert.equal(i.rcv_wscale, 7);
  assert.equal(i.delivery_rate_app_limited, 1);
  assert.equal(i.fastopen_client_fail, 2);
});
