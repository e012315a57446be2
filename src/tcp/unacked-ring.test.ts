import { test } from "node:test";
import assert from "node:assert/strict";
import { UnackedRing } from "./unacked-ring.js";

/** Wireshark's list walk, written plainly (newest first, last exact match wins), as the reference. */
function reference(list: { seq: number; next: number; ts: number; frame: number }[], ack: number) {
  let acked = -1;
  const keep: typeof list = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const e = list[i]!;
    if (ack === e.next) acked = e.frame;
    else if (((e.seq - ack) | 0) < 0 && ((e.next - ack) | 0) >= 0) keep.unshift({ ...e, seq: ack });
    else if (((ack - e.next) | 0) < 0) keep.unshift(e);
  }
  return { acked, keep };
}

test("sorted fast path and unsorted walk give Wireshark's answers (RTT frame, trimming, span)", () => {
  let rng = 12345;
  const rand = (n: number) => ((rng = (Math.imul(rng, 1103515245) + 12345) >>> 0) % n);
  for (let round = 0; round < 200; round++) {
    const ring = new UnackedRing();
    let list: { seq: number; next: number; ts: number; frame: number }[] = [];
    const base = (0xffff0000 + rand(1 << 17)) | 0; // crosses the wrap
    let nxt = base;
    let frame = 0;
    for (let step = 0; step < 60; step++) {
      if (rand(3) > 0) {
        // send: mostly in order, sometimes a retransmission of something older
        const len = 1 + rand(1500);
        const seq = rand(5) === 0 && list.length > 0 ? list[rand(list.length)]!.seq : nxt;
        const next = (seq + len) | 0;
        if (seq === nxt) nxt = next;
        frame++;
        ring.push(seq, next, frame * 10, frame);
        list.push({ seq, next, ts: frame * 10, frame });
      } else if (list.length > 0) {
        const pick = list[rand(list.length)]!;
        const ack = rand(2) ? pick.next : (pick.seq + rand(Math.max(1, (pick.next - pick.seq) | 0))) | 0;
        const ref = reference(list, ack);
        ring.ack(ack);
        assert.equal(ring.ackedFrame, ref.acked, `round ${round} step ${step}`);
        list = ref.keep;
        assert.equal(ring.count, list.length);
      }
      if (list.length > 0) {
        let first = (list[0]!.seq - base) >>> 0;
        let last = (list[0]!.next - base) >>> 0;
        for (const e of list) {
          first = Math.min(first, (e.seq - base) >>> 0);
          last = Math.max(last, (e.next - base) >>> 0);
        }
        assert.equal(ring.span(base), (last - first) >>> 0, `span, round ${round} step ${step}`);
      } else assert.equal(ring.span(base), -1);
    }
  }
});
