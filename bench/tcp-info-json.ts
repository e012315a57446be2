/**
 * Benchmark: why the tcp_info part of `tcpwin sockets --json` is generated code
 * (src/report/sockets-json-tcp-info.gen.ts, from scripts/gen-tcp-info.ts). The same 280-byte
 * tcp_info of a recorded reply (test/fixtures/netlink/dump-v4-port-a.bin) written 200 000 times:
 *   generated: straight-line code, each key one or two constant 8-byte stores;
 *   table loop: the same bytes from a loop over the one table (uapi/tcp-info-fields) — a kind
 *   switch, a key copy and a digit writer per field — what the writer would be without generation.
 * Both must write identical bytes (checked). Best of 5 runs each, after warm-up runs.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DiagMsgViewImpl, DumpState, viewDiagBatch } from "../src/kernel/netlink.js";
import { INFO_MAX_BYTES, writeTcpInfo } from "../src/report/sockets-json-tcp-info.gen.js";
import { writeU32, writeUint } from "../src/report/json-digits.js";
import { TCP_INFO_FIELDS, TCP_INFO_MIN_LEN } from "../src/uapi/tcp-info-fields.js";

const FIX = fileURLToPath(new URL("../test/fixtures/netlink/dump-v4-port-a.bin", import.meta.url));
const N = 200_000;
const enc = new TextEncoder();
const FIELDS = TCP_INFO_FIELDS.filter((x) => x.name !== "state").map((x) => ({ ...x, key: enc.encode(`,"${x.name}":`) }));
const LEN_KEY = enc.encode(`,"tcp_info_len":`);

function tableLoop(buf: Uint8Array, p: number, dv: DataView, ia: number, il: number): number {
  for (const f of FIELDS) {
    if (f.offset + f.size > il && f.offset + f.size > TCP_INFO_MIN_LEN) break;
    const k = f.key;
    for (let i = 0; i < k.length; i++) buf[p++] = k[i]!;
    const o = ia + f.offset;
    let v: number;
    switch (f.kind) {
      case "u8":
        v = dv.getUint8(o);
        break;
      case "u16":
        v = dv.getUint16(o, true);
        break;
      case "u32":
        v = dv.getUint32(o, true);
        break;
      case "u64":
        v = dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 4294967296;
        break;
      case "lo4":
        v = dv.getUint8(o) & 15;
        break;
      case "hi4":
        v = dv.getUint8(o) >>> 4;
        break;
      case "bit0":
        v = dv.getUint8(o) & 1;
        break;
      case "bits12":
        v = (dv.getUint8(o) >>> 1) & 3;
        break;
    }
    p = writeUint(buf, p, v);
  }
  for (let i = 0; i < LEN_KEY.length; i++) buf[p++] = LEN_KEY[i]!;
  return writeU32(buf, p, il);
}

export async function run(): Promise<void> {
  const bytes = new Uint8Array(readFileSync(FIX));
  let at = -1;
  let len = 0;
  let dv!: DataView;
  viewDiagBatch(bytes, bytes.length, new DumpState(), new DiagMsgViewImpl(), (v) => {
    if (at < 0 && v.infoLen >= 280) {
      at = v.infoAt;
      len = v.infoLen;
      dv = v.dv;
    }
  });
  const out = new Uint8Array(INFO_MAX_BYTES * 64);
  const view = new DataView(out.buffer);
  const a = new TextDecoder().decode(out.subarray(0, writeTcpInfo(out, view, 0, dv, at, len)));
  const b = new TextDecoder().decode(out.subarray(0, tableLoop(out, 0, dv, at, len)));
  if (a !== b) throw new Error(`generated and table-loop writers differ:\n${a}\n${b}`);
  const time = (f: (p: number) => number) => {
    let best = Infinity;
    for (let r = 0; r < 8; r++) {
      const t0 = process.hrtime.bigint();
      let p = 0;
      for (let i = 0; i < N; i++) {
        p = f(p);
        if (p > out.length - INFO_MAX_BYTES) p = 0;
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r >= 3) best = Math.min(best, ms);
    }
    return best;
  };
  const gen = time((p) => writeTcpInfo(out, view, p, dv, at, len));
  const loop = time((p) => tableLoop(out, p, dv, at, len));
  console.table([
    { writer: "generated (straight-line, 8-byte key stores)", [`ms / ${N / 1000} k tcp_info`]: gen.toFixed(1), "ns each": ((gen * 1e6) / N).toFixed(0), ratio: "1" },
    { writer: "table loop (kind switch, key copy)", [`ms / ${N / 1000} k tcp_info`]: loop.toFixed(1), "ns each": ((loop * 1e6) / N).toFixed(0), ratio: `${(loop / gen).toFixed(2)}×` },
  ]);
}
