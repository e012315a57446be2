/**
 * Hand-built conversations (test/support/tcp-script) written as pcap files and analysed by both
 * tshark and tcpwin: every per-packet field must agree exactly, and each scenario must really
 * contain the case it is named after (tshark has to raise the flags listed), so a scenario that
 * silently stopped exercising its case fails too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TcpScript } from "../support/tcp-script.js";
import { compareWithTshark, describe } from "../support/tshark-compare.js";
import { skipUnless } from "../support/tools.js";
import { analyzeCapture } from "../../src/tcp/index.js";

const skip = skipUnless("tshark");
const dir = mkdtempSync(join(tmpdir(), "tcpwin-edge-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

const MSS = 1000;

const scenarios: Record<string, { build: () => TcpScript; expect: string[] }> = {
  zero_window_and_probes: {
    expect: ["window_full", "zero_window", "zero_window_probe", "zero_window_probe_ack", "window_update", "keep_alive"],
    build: () => {
      const s = new TcpScript().handshake({ win1: 3000 });
      s.win[1] = 3000;
      s.data(0, MSS).data(0, MSS).data(0, MSS);
      s.ack(1, { win: 0, dt: 0.001 });
      s.data(0, 1, { noAdvance: true, dt: 0.2 }); // probe: 1 byte at nextseq
      s.ack(1, { win: 0 });
      s.data(0, 1, { noAdvance: true, dt: 0.4 });
      s.ack(1, { win: 0 });
      s.ack(0, { seq: s.nxt[0] - 1, dt: 0.8 }); // Linux-style probe: snd_una − 1, no data (a keep-alive to Wireshark)
      s.ack(1, { win: 0 });
      s.ack(1, { win: 3000, dt: 0.05 }); // window update
      s.data(0, MSS).data(0, MSS);
      s.ack(1, { dt: 0.001 });
      return s;
    },
  },
  rto_retransmission: {
    expect: ["retransmission"],
    build: () => {
      const s = new TcpScript().handshake();
      const first = s.nxt[0];
      s.data(0, MSS).data(0, MSS).data(0, MSS).data(0, MSS);
      s.data(0, MSS, { seq: first, dt: 0.3 });
      s.ack(1, { dt: 0.001 });
      s.data(0, MSS).ack(1);
      return s;
    },
  },
  fast_retransmission_with_sack: {
    expect: ["duplicate_ack", "fast_retransmission", "retransmission"],
    build: () => {
      const s = new TcpScript().handshake({ ws0: 7, ws1: 7, win1: 512 });
      s.win[1] = 512;
      s.ack(1);
      const a = s.nxt[0];
      for (let i = 0; i < 6; i++) s.data(0, MSS);
      s.ack(1, { ack: a, dt: 0.001, sack: [[a + MSS, a + 2 * MSS]] });
      s.ack(1, { ack: a, sack: [[a + MSS, a + 3 * MSS]] });
      s.ack(1, { ack: a, sack: [[a + MSS, a + 4 * MSS]] });
      s.ack(1, { ack: a, sack: [[a + MSS, a + 5 * MSS]] });
      s.data(0, MSS, { seq: a, dt: 0.0005 });
      s.data(0, MSS);
      s.ack(1, { dt: 0.001 });
      return s;
    },
  },
  reordering_and_lost: {
    expect: ["lost_segment", "out_of_order"],
    build: () => {
      const s = new TcpScript().handshake();
      s.data(0, MSS);
      const missing = s.nxt[0];
      s.data(0, MSS, { drop: true });
      s.data(0, MSS).data(0, MSS);
      s.data(0, MSS, { seq: missing, dt: 0.00005 }); // within the initial RTT (0.2 ms): out of order
      s.ack(1, { dt: 0.001 });
      return s;
    },
  },
  acked_unseen_and_spurious: {
    expect: ["ack_lost_segment", "spurious_retransmission"],
    build: () => {
      const s = new TcpScript().handshake();
      const a = s.nxt[0];
      s.data(0, MSS).data(0, MSS, { drop: true }).data(0, MSS, { drop: true });
      s.ack(1, { dt: 0.001 });
      s.data(0, MSS, { seq: a, dt: 0.01 }); // already acknowledged: spurious
      s.data(0, MSS).ack(1);
      return s;
    },
  },
  acked_unseen_repeated_mid_connection: {
    // The shape of a real capture started mid-conversation (RocketMQ pull): gaps in both directions,
    // each side acknowledging data the capture never saw, several times.
    expect: ["ack_lost_segment", "lost_segment"],
    build: () => {
      const s = new TcpScript(3803117964, 3765820821);
      s.data(0, 389).data(0, 364);
      s.nxt[0] += 1092; // not captured
      s.data(1, 232).data(1, 238);
      s.nxt[1] += 714;
      s.data(0, 389).data(0, 364);
      s.nxt[0] += 364;
      s.data(0, 364);
      s.nxt[1] += 105;
      s.data(1, 401).data(1, 401);
      s.data(0, 100).ack(1).ack(1).ack(1);
      return s;
    },
  },
  keep_alives: {
    expect: ["keep_alive", "keep_alive_ack"],
    build: () => {
      const s = new TcpScript().handshake();
      s.data(0, 100).ack(1, { dt: 0.001 });
      s.ack(0, { seq: s.nxt[0] - 1, dt: 10 });
      s.ack(1);
      s.data(0, 1, { seq: s.nxt[0] - 1, dt: 10 });
      s.ack(1);
      s.data(1, 200, { dt: 1 }).ack(0);
      return s;
    },
  },
  port_reuse_and_syn_retransmission: {
    expect: ["reused_ports", "retransmission"],
    build: () => {
      const s = new TcpScript(1000, 50000).handshake();
      s.data(0, 500).ack(1).fin(0).fin(1).ack(0);
      // Same 4-tuple, new ISN: a new tcp.stream. Then the SYN is retransmitted.
      s.nxt[0] = 900000;
      s.nxt[1] = 7000000;
      s.syn(0, { dt: 1 });
      s.syn(0, { seq: 900000, dt: 1 });
      s.synAck(1).ack(0).data(0, 300).ack(1);
      return s;
    },
  },
  window_full_scaled: {
    expect: ["window_full", "window_update", "duplicate_ack"],
    build: () => {
      const s = new TcpScript().handshake({ ws0: 7, ws1: 7, win1: 100 });
      s.win[1] = 40; // 40 << 7 = 5120 bytes
      s.ack(1, { dt: 0.001 });
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 5; i++) s.data(0, 1024, { dt: 0.00001 });
        s.ack(1, { dt: 0.002 });
      }
      s.ack(1, { win: 80 }).ack(1).ack(1);
      return s;
    },
  },
  ipv6_retransmission: {
    expect: ["retransmission", "window_full"],
    build: () => {
      const s = new TcpScript(5, 4294967000, true).handshake({ win1: 2000 }); // server ISN near 2^32: wraps
      s.win[1] = 2000;
      s.data(1, MSS).data(1, MSS).data(0, MSS).data(0, MSS);
      s.data(0, MSS, { seq: s.nxt[0] - 2 * MSS, dt: 0.25 });
      s.ack(1).ack(0);
      return s;
    },
  },
};

for (const [name, sc] of Object.entries(scenarios)) {
  test(`tshark agrees on every field: ${name}`, { skip }, () => {
    const file = join(dir, `${name}.pcap`);
    sc.build().write(file);
    const c = compareWithTshark(file);
    assert.equal(c.missing.length + c.extra.length, 0, describe(c, 1));
    const bad = c.fields.filter((f) => f.share < 1);
    assert.equal(bad.length, 0, `${name}:\n${describe(c, 1)}`);
    for (const flag of sc.expect) {
      const f = c.fields.find((x) => x.field === `tcp.analysis.${flag}`)!;
      assert.ok(f.present > 0, `${name}: tshark raised no ${flag}: the scenario no longer exercises it\n${describe(c, 1, true)}`);
    }
  });
}

// Captures made by others (the shared RocketMQ fixtures) and the bundled demo capture.
const others = [
  ...["../../../shared/fixtures/rocketmq/", "../../assets/"].flatMap((d) => {
    const abs = fileURLToPath(new URL(d, import.meta.url));
    return existsSync(abs) ? readdirSync(abs).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(abs, f)) : [];
  }),
];
for (const file of others) {
  test(`tshark agrees on every field: ${basename(file)}`, { skip }, () => {
    const c = compareWithTshark(file);
    assert.equal(c.missing.length + c.extra.length, 0, describe(c, 1));
    assert.equal(c.fields.filter((f) => f.share < 1).length, 0, `${file}:\n${describe(c, 1)}`);
  });
}

test("window scale inferred and window full flagged without the handshake", { skip }, () => {
  const s = scenarios.window_full_scaled!.build();
  s.pkts.splice(0, 3); // cut SYN, SYN-ACK, ACK
  const file = join(dir, "window_full_scaled_cut.pcap");
  s.write(file);
  const c = compareWithTshark(file);
  assert.equal(c.fields.filter((f) => f.share < 1).length, 0, describe(c, 1));
  assert.equal(c.fields.find((f) => f.field === "tcp.analysis.window_full")!.present, 0, "tshark cannot know the scale");
  let inferredFull = 0;
  const r = analyzeCapture(file, { onPacket: (p) => void (p["tcpwin.window_full_inferred"] && inferredFull++) });
  // Without a SYN the "client" is whoever spoke first (here the receiver): take the data direction.
  const conn = r.connections[0]!;
  const c2s = conn.c2s.bytes > 0 ? conn.c2s : conn.s2c;
  assert.equal(c2s.rwnd_scale.source, "inferred");
  assert.equal(c2s.rwnd_scale.shift, 7);
  assert.ok(c2s.rwnd_scale.confidence! >= 0.9, JSON.stringify(c2s.rwnd_scale));
  assert.ok(inferredFull >= 3, `window_full_inferred on ${inferredFull} packets`);
  assert.equal(c2s.rwnd_adv!.max, 80 * 128);
});
