/**
 * STYLE.md §6: reading and decoding allocate nothing per packet. A child process reads a
 * 200 000-packet capture (IPv4 and IPv6, options, a small read buffer so records span reads) once to
 * warm up, then again under --trace-gc: no young-generation collection may happen in that pass.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cat, eth, ipv4, ipv6, opt, tcp } from "../../test/fixtures/capture/builders.js";
import { cleanupTemp, tempFile } from "../../test/fixtures/capture/read-all.js";
import { PcapWriter } from "./pcap-writer.js";

after(cleanupTemp);

test("the read + decode loop allocates nothing per packet (no scavenge in 200 000 packets)", () => {
  const path = tempFile(new Uint8Array(0), "noalloc.pcap");
  const w = new PcapWriter(path, { linkType: 1, snaplen: 128 });
  const frames = [
    eth(0x0800, ipv4(tcp({ payload: 1448, options: cat(opt.nop(), opt.nop(), opt.ts(1, 2)) }))),
    eth(0x86dd, ipv6(tcp({ options: cat(opt.nop(), opt.nop(), opt.sack(1, 2, 3, 4)) }), { exts: [{ type: 0 }] })),
    eth(0x0800, ipv4(tcp({ flags: 2, options: cat(opt.mss(1460), opt.sackPerm(), opt.ts(5, 0), opt.nop(), opt.ws(7)) }))),
  ];
  for (let i = 0; i < 200_000; i++) w.write(1764000000 + (i >> 10), (i & 1023) * 1000, frames[i % 3]!);
  w.close();
  const script = `
    import { openCapture, decodeTcpPacket, PacketRef, TcpPacket } from "./src/capture/index.ts";
    const p = new PacketRef(), s = new TcpPacket();
    function pass() { const r = openCapture(${JSON.stringify(path)}, { chunkSize: 65536 }); let n = 0;
      while (r.next(p)) if (decodeTcpPacket(p, s) === 0) n += s.payloadLen + s.sackCount; r.close(); return n; }
    pass(); pass();
    console.log("BEGIN"); const n = pass(); console.log("END", n);`;
  const res = spawnSync(process.execPath, ["--trace-gc", "--import", "tsx", "--input-type=module", "-e", script], {
    cwd: new URL("../..", import.meta.url).pathname,
    encoding: "utf8",
    timeout: 60_000, killSignal: "SIGKILL",
  });
  assert.equal(res.status, 0, res.stderr);
  const out = res.stdout;
  const measured = out.slice(out.indexOf("BEGIN"), out.indexOf("END"));
  assert.ok(out.includes("END"), out);
  const gcs = measured.split("\n").filter((l) => /Scavenge|Mark-Compact/.test(l));
  assert.deepEqual(gcs, [], "collections during the measured pass");
});
