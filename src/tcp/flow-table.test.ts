import { test } from "node:test";
import assert from "node:assert/strict";
import { TcpPacket } from "../capture/packet.js";
import { Conversation } from "./conversation.js";
import { FlowTable } from "./flow-table.js";

test("find/set/remove agree with a Map across growth, tombstones and rebuilds; both directions", () => {
  const convs: Conversation[] = [];
  const t = new FlowTable(convs);
  const ref = new Map<string, number>();
  const p = new TcpPacket();
  let rng = 7;
  const rand = (n: number) => ((rng = (Math.imul(rng, 1103515245) + 12345) >>> 0) % n);
  const tuple = (k: number, reverse: boolean) => {
    const a = 0x0a000000 + (k % 300);
    const b = 0x0a630000 + ((k / 300) | 0);
    const pa = 1000 + (k % 7);
    p.ipVersion = 4;
    p.srcV4 = reverse ? b : a;
    p.dstV4 = reverse ? a : b;
    p.srcPort = reverse ? 443 : pa;
    p.dstPort = reverse ? pa : 443;
  };
  for (let step = 0; step < 60000; step++) {
    const k = rand(5000);
    const rev = rand(2) === 1;
    tuple(k, rev);
    const op = rand(3);
    const have = ref.get(String(k));
    const found = t.find(p);
    assert.equal(found, have ?? -1, `step ${step}`);
    if (found >= 0) assert.equal(t.dir, rev ? 1 : 0);
    if (op === 0 && have !== undefined) {
      t.remove(convs[have]!);
      ref.delete(String(k));
    } else if (op === 1) {
      tuple(k, false);
      const c = new Conversation(convs.length, 0);
      c.v4a = p.srcV4;
      c.v4b = p.dstV4;
      c.portA = p.srcPort;
      c.portB = p.dstPort;
      convs.push(c);
      t.set(p, c.stream);
      ref.set(String(k), c.stream);
    }
  }
});
