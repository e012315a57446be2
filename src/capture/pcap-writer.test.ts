import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { openSync, closeSync, statSync } from "node:fs";
import { ipv4, ipv6, opt, tcp } from "../../test/fixtures/capture/builders.js";
import { cleanupTemp, readAllFile, tempFile } from "../../test/fixtures/capture/read-all.js";
import { PcapWriter } from "./pcap-writer.js";
import { LinkType } from "./link-types.js";

after(cleanupTemp);

// tshark is the outside judge of what we write; without it that half skips, saying so.
const tsharkSkip = spawnSync("tshark", ["-v"], { stdio: "ignore", timeout: 30_000, killSignal: "SIGKILL" }).status === 0 ? false : "needs tshark installed";

function packets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 500; i++) {
    const seg = tcp({ sport: 40000, dport: 9876, seq: 1000 + i * 1448, ack: 5, flags: 0x18, win: 1148, options: i === 0 ? opt.mss(574) : undefined, payload: 1 + ((i * 97) % 1448) });
    out.push(i % 2 ? ipv4(seg) : ipv6(seg));
  }
  return out;
}

/** The 500 packets written raw-IP (frame 8 headers only), with the writer's byte count. */
function writeSample(nanosecond: boolean): { path: string; pk: Uint8Array[]; bytes: number } {
  const path = tempFile(new Uint8Array(0), "w.pcap");
  const w = new PcapWriter(path, { linkType: LinkType.RAW, nanosecond, snaplen: 1000, bufferSize: 8192 });
  const pk = packets();
  pk.forEach((p, i) => {
    if (i === 7) w.writeRange(1764000000 + i, 123456789, p, 0, 40); // headers only, origLen = 40
    else w.write(1764000000 + i, 123456789 + i, p);
  });
  w.close();
  return { path, pk, bytes: w.bytes };
}

for (const nanosecond of [false, true]) {
  test(`raw-IP writer (${nanosecond ? "ns" : "µs"}) round-trips through our reader`, () => {
    const { path, pk, bytes } = writeSample(nanosecond);
    const { recs, reader } = readAllFile(path, 4096);
    assert.equal(reader.error, null);
    assert.deepEqual(reader.warnings, []);
    assert.equal(recs.length, 500);
    for (let i = 0; i < 500; i++) {
      const r = recs[i]!;
      const p = pk[i]!;
      const len = i === 7 ? 40 : Math.min(p.length, 1000);
      assert.equal(r.caplen, len);
      assert.equal(r.origLen, i === 7 ? 40 : p.length);
      assert.deepEqual(r.data, p.subarray(0, len));
      assert.equal(r.tsSec, 1764000000 + i);
      const ns = i === 7 ? 123456789 : 123456789 + i;
      assert.equal(r.tsNsec, nanosecond ? ns : Math.floor(ns / 1000) * 1000);
    }
    assert.equal(statSync(path).size, bytes);
  });

  test(`raw-IP writer (${nanosecond ? "ns" : "µs"}) reads back in tshark: times, lengths, seq, window`, { skip: tsharkSkip, timeout: 60_000 }, () => {
    const { path, pk } = writeSample(nanosecond);
    const out = execFileSync("tshark", ["-r", path, "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "tcp.seq_raw", "-e", "tcp.len", "-e", "tcp.window_size_value"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 60_000, killSignal: "SIGKILL" })
      .trim()
      .split("\n");
    assert.equal(out.length, 500);
    const [t0, len0, cap0, seq0, tl0, win0] = out[0]!.split("\t");
    assert.equal(t0, `1764000000.${nanosecond ? "123456789" : "123456000"}`);
    assert.deepEqual([len0, cap0, seq0, tl0, win0], [String(pk[0]!.length), String(Math.min(pk[0]!.length, 1000)), "1000", "1", "1148"]);
    for (let i = 0; i < 500; i++) {
      const f = out[i]!.split("\t");
      assert.equal(f[3], String(1000 + i * 1448), `frame ${i + 1}`);
      if (i !== 7) assert.equal(f[4], String(1 + ((i * 97) % 1448)), `frame ${i + 1} tcp.len`);
    }
  });
}

test("writer on a caller's fd does not close it; records bigger than the buffer go straight through", () => {
  const path = tempFile(new Uint8Array(0), "fd.pcap");
  const fd = openSync(path, "w");
  const w = new PcapWriter(fd, { linkType: LinkType.RAW, bufferSize: 4096 });
  const big = ipv4(tcp({ payload: 60000 }));
  w.write(1, 0, big);
  w.write(2, 0, ipv4(tcp({})));
  w.close();
  closeSync(fd); // still open: would throw EBADF if the writer had closed it
  const { recs } = readAllFile(path);
  assert.equal(recs.length, 2);
  assert.deepEqual(recs[0]!.data, big);
});
