import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeRequest, encodeReply, encodeRequest, MAX_TRANSFER_BYTES, REPLY_HEADER_LEN, REQUEST_LEN } from "../../src/lab/bulk/protocol.js";

test("request round-trips through the 32-byte header", () => {
  const b = Buffer.alloc(REQUEST_LEN);
  encodeRequest(b, { size: 2_079_208, index: 7, flags: 0 });
  assert.equal(b.toString("latin1", 0, 8), "TCPWLAB1");
  assert.equal(b.readBigUInt64BE(8), 2_079_208n);
  const d = decodeRequest(b);
  assert.deepEqual(d, { ok: true, value: { size: 2_079_208, index: 7, flags: 0 } });
});

test("every truncated length is reported with the length it had", () => {
  const b = Buffer.alloc(REQUEST_LEN);
  encodeRequest(b, { size: 1, index: 0, flags: 0 });
  for (let n = 0; n < REQUEST_LEN; n++) {
    const d = decodeRequest(b.subarray(0, n));
    assert.ok(!d.ok && d.error.code === "short_request" && d.error.offset === n, `len ${n}`);
  }
});

test("wrong magic and oversized requests name the byte and the value", () => {
  const http = Buffer.alloc(REQUEST_LEN);
  http.write("GET / HTTP/1.1\r\n", "latin1");
  const d1 = decodeRequest(http);
  assert.ok(!d1.ok && d1.error.code === "bad_magic" && d1.error.offset === 0 && /GET \/ HT/.test(d1.error.message));
  const big = Buffer.alloc(REQUEST_LEN);
  encodeRequest(big, { size: 0, index: 0, flags: 0 });
  big.writeBigUInt64BE(BigInt(MAX_TRANSFER_BYTES) + 1n, 8);
  const d2 = decodeRequest(big);
  assert.ok(!d2.ok && d2.error.code === "size_too_large" && d2.error.offset === 8);
});

test("reply carries its JSON length", () => {
  const r = encodeReply({ bytes: 5, elapsed_ms: 1, listener: { requested: { rcvbuf: 1024, sndbuf: null, mss: null }, effective: { rcvbuf: 2304, sndbuf: 16384, mss: 536 } }, rb: 2304, tb: 16384, kernel: "6.18" });
  assert.equal(r.toString("latin1", 0, 8), "TCPWDONE");
  const len = r.readUInt32BE(8);
  assert.equal(r.length, REPLY_HEADER_LEN + len);
  assert.equal(JSON.parse(r.toString("utf8", REPLY_HEADER_LEN)).rb, 2304);
});
