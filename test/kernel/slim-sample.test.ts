/**
 * kernel/slim-sample reads the exporter's 16 tcp_info fields at the table's offsets: on the
 * recorded replies, and on tcp_info cut to older kernels' sizes, each equals the full decode's
 * value (absent when the full decode has it absent), and rb/tb/ports/cookie/inode agree.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeDiagBatch, viewDiagBatch, DiagMsgViewImpl, DumpState, type DiagSocket } from "../../src/kernel/netlink.js";
import { slimSocketOf, SLIM_FIELDS, type SlimSocket } from "../../src/kernel/slim-sample.js";
import { concat, messages, withInfoLength } from "./helpers/forge.js";

const FIX = new URL("../fixtures/netlink/", import.meta.url);

function both(b: Uint8Array): [DiagSocket[], SlimSocket[]] {
  const full: DiagSocket[] = [];
  decodeDiagBatch(b, b.length, new DumpState(), (s) => full.push(s));
  const slim: SlimSocket[] = [];
  viewDiagBatch(b, b.length, new DumpState(), new DiagMsgViewImpl(), (v) => slim.push(slimSocketOf(v)));
  return [full, slim];
}

test("slim sockets = the full decode, field by field, for every recorded reply and tcp_info size", () => {
  for (const name of ["dump-v4-port-a.bin", "dump-v6-port-c.bin", "dump-v4-time-wait.bin"]) {
    const b = new Uint8Array(readFileSync(new URL(name, FIX)));
    for (const n of [0, 104, 168, 192, 232, 240, 280]) {
      const input = n === 0 ? b : concat(messages(b).map((m) => withInfoLength(m, n)));
      const [full, slim] = both(input);
      assert.equal(slim.length, full.length, `${name}/${n}`);
      full.forEach((f, k) => {
        const s = slim[k]!;
        for (const key of ["cookie", "family", "state", "src", "dst", "sport", "dport", "rqueue", "inode", "uid"] as const) assert.equal(s[key], f[key], `${name}/${n} ${key}`);
        assert.equal(s.skmem?.rcvbuf, f.skmem?.rcvbuf);
        assert.equal(s.skmem?.sndbuf, f.skmem?.sndbuf);
        assert.equal(s.skmem?.drops, f.skmem?.drops);
        assert.equal(s.info === undefined, f.info === undefined, `${name}/${n} info`);
        if (f.info) for (const x of SLIM_FIELDS) assert.equal(s.info![x], f.info[x], `${name}/${n} ${x}`);
      });
    }
  }
});
