/**
 * @module tcp/flow-table
 * 4-tuple → current conversation, with no per-packet allocation: an open-addressing hash table
 * of conversation indexes, hashed symmetrically over the two (address, port) endpoints so both
 * directions land on the same slot chain, and verified against the conversation's own fields
 * (IPv4 as numbers, IPv6 by comparing the 16 bytes in place). Removed conversations leave a
 * tombstone (-1) so probe chains stay intact; tombstones are dropped when the table is rebuilt.
 */
import type { TcpPacket } from "../capture/packet.js";
import type { Conversation } from "./conversation.js";

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return x ^ (x >>> 16);
}

function hash6(a: Uint8Array, port: number): number {
  let h = port | 0;
  for (let i = 0; i < 16; i += 4) h = mix(h ^ ((a[i]! << 24) | (a[i + 1]! << 16) | (a[i + 2]! << 8) | a[i + 3]!));
  return h;
}

function eq6(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class FlowTable {
  private slots = new Int32Array(1024);
  private mask = 1023;
  /** Slots not empty (live entries and tombstones). */
  private used = 0;
  private liveCount = 0;
  /** Set by `find`: 0 if the packet's source is the conversation's endpoint 0, else 1. */
  dir = 0;
  /** The conversation found last: consecutive packets mostly belong to the same one. */
  private last = -1;

  constructor(private readonly convs: Conversation[]) {}

  private hashOf(p: TcpPacket): number {
    if (p.ipVersion === 4) return mix(mix(p.srcV4 ^ (p.srcPort << 7)) ^ mix(p.dstV4 ^ (p.dstPort << 7)));
    return mix(hash6(p.src6, p.srcPort) ^ hash6(p.dst6, p.dstPort));
  }

  private matches(c: Conversation, p: TcpPacket): number {
    if (c.ipVersion !== p.ipVersion) return -1;
    if (p.ipVersion === 4) {
      if (c.v4a === p.srcV4 && c.portA === p.srcPort && c.v4b === p.dstV4 && c.portB === p.dstPort) return 0;
      if (c.v4b === p.srcV4 && c.portB === p.srcPort && c.v4a === p.dstV4 && c.portA === p.dstPort) return 1;
      return -1;
    }
    if (c.portA === p.srcPort && c.portB === p.dstPort && eq6(c.v6a, p.src6) && eq6(c.v6b, p.dst6)) return 0;
    if (c.portB === p.srcPort && c.portA === p.dstPort && eq6(c.v6b, p.src6) && eq6(c.v6a, p.dst6)) return 1;
    return -1;
  }

  /** Index of the current conversation for this packet's 4-tuple (and sets `dir`), or -1. */
  find(p: TcpPacket): number {
    if (this.last >= 0) {
      const d = this.matches(this.convs[this.last]!, p);
      if (d >= 0) {
        this.dir = d;
        return this.last;
      }
    }
    let i = this.hashOf(p) & this.mask;
    for (;;) {
      const v = this.slots[i]!;
      if (v === 0) return -1;
      if (v < 0) {
        i = (i + 1) & this.mask;
        continue;
      }
      const d = this.matches(this.convs[v - 1]!, p);
      if (d >= 0) {
        this.dir = d;
        this.last = v - 1;
        return v - 1;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Make conversation `idx` (whose endpoints are this packet's) the current one for its tuple. */
  set(p: TcpPacket, idx: number): void {
    this.last = idx;
    let i = this.hashOf(p) & this.mask;
    let tomb = -1;
    for (;;) {
      const v = this.slots[i]!;
      if (v === 0) {
        if (tomb >= 0) this.slots[tomb] = idx + 1;
        else {
          this.slots[i] = idx + 1;
          this.used++;
        }
        this.liveCount++;
        if (this.used * 2 > this.slots.length) this.rebuild();
        return;
      }
      if (v < 0) {
        if (tomb < 0) tomb = i;
      } else if (this.matches(this.convs[v - 1]!, p) >= 0) {
        this.slots[i] = idx + 1;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Forget conversation `idx` (if it is still the current one for its tuple). */
  remove(c: Conversation): void {
    if (this.last === c.stream) this.last = -1;
    let i = this.hashConv(c) & this.mask;
    for (;;) {
      const v = this.slots[i]!;
      if (v === 0) return;
      if (v === c.stream + 1) {
        this.slots[i] = -1;
        this.liveCount--;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Rehash the live entries into a table at most half full (grows, or sheds tombstones). */
  private rebuild(): void {
    const old = this.slots;
    let size = 1024;
    while (size < this.liveCount * 4) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    this.used = 0;
    for (let k = 0; k < old.length; k++) {
      const v = old[k]!;
      if (v <= 0) continue;
      const c = this.convs[v - 1]!;
      let i = this.hashConv(c) & this.mask;
      while (this.slots[i] !== 0) i = (i + 1) & this.mask;
      this.slots[i] = v;
      this.used++;
    }
  }

  private hashConv(c: Conversation): number {
    if (c.ipVersion === 4) return mix(mix(c.v4a ^ (c.portA << 7)) ^ mix(c.v4b ^ (c.portB << 7)));
    return mix(hash6(c.v6a, c.portA) ^ hash6(c.v6b, c.portB));
  }
}
