/**
 * @module test/support/tcp-script
 * Hand-built TCP conversations written as real pcap files (Ethernet + IPv4/IPv6 + TCP with
 * options, via the project's PcapWriter), for edge cases a live kernel will not produce on demand:
 * zero windows and probes, retransmissions, reordering, keep-alives, duplicate ACKs with SACK,
 * port reuse. Checksums are computed, so tshark sees valid packets.
 *
 * A `TcpScript` keeps each side's next sequence number, so a scenario reads like a trace:
 *   s.syn(0, { ws: 7 }); s.synAck(1, { ws: 7 }); s.ack(0); s.data(0, 1000); s.ack(1, { win: 0 });
 */
import { PcapWriter } from "../../src/capture/pcap-writer.js";

export interface SegOpts {
  /** Seconds after the previous packet (default 0.0001). */
  dt?: number;
  seq?: number;
  ack?: number;
  win?: number;
  mss?: number;
  ws?: number;
  sackPerm?: boolean;
  sack?: [number, number][];
  /** Timestamps option (10 bytes + 2 NOP). */
  ts?: boolean;
  /** Extra TCP flags (PSH is added to data by default). */
  flags?: number;
  /** Do not advance the sender's next sequence number (retransmissions, probes). */
  noAdvance?: boolean;
  /** Write nothing: advance state only (a segment "not captured"). */
  drop?: boolean;
}

interface Pkt {
  t: number;
  from: number;
  seq: number;
  ack: number;
  flags: number;
  win: number;
  len: number;
  opts: SegOpts;
}

export const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;

export class TcpScript {
  readonly pkts: Pkt[] = [];
  t = 0;
  /** Next sequence number of each side (side 0 = client). */
  readonly nxt: [number, number];
  /** Default window of each side. */
  readonly win: [number, number] = [65535, 65535];
  constructor(
    isn0 = 1000,
    isn1 = 50000,
    readonly v6 = false,
    readonly ports: [number, number] = [40000, 9876],
  ) {
    this.nxt = [isn0 >>> 0, isn1 >>> 0];
  }

  private push(from: number, flags: number, len: number, o: SegOpts, advance: number): Pkt {
    this.t += o.dt ?? 0.0001;
    const p: Pkt = {
      t: this.t,
      from,
      seq: (o.seq ?? this.nxt[from]!) >>> 0,
      ack: (o.ack ?? this.nxt[1 - from]!) >>> 0,
      flags: flags | (o.flags ?? 0),
      win: o.win ?? this.win[from]!,
      len,
      opts: o,
    };
    if (!o.drop) this.pkts.push(p);
    if (!o.noAdvance && o.seq === undefined) this.nxt[from] = (this.nxt[from]! + advance) >>> 0;
    return p;
  }

  syn(from: number, o: SegOpts = {}): this {
    this.push(from, F.SYN, 0, { mss: 1460, sackPerm: true, ...o, ack: o.ack ?? 0 }, 1);
    return this;
  }
  synAck(from: number, o: SegOpts = {}): this {
    this.push(from, F.SYN | F.ACK, 0, { mss: 1460, sackPerm: true, ...o }, 1);
    return this;
  }
  ack(from: number, o: SegOpts = {}): this {
    this.push(from, F.ACK, 0, o, 0);
    return this;
  }
  data(from: number, len: number, o: SegOpts = {}): this {
    this.push(from, F.ACK | F.PSH, len, o, len);
    return this;
  }
  fin(from: number, o: SegOpts = {}): this {
    this.push(from, F.ACK | F.FIN, 0, o, 1);
    return this;
  }
  rst(from: number, o: SegOpts = {}): this {
    this.push(from, F.RST | F.ACK, 0, o, 0);
    return this;
  }
  /** The usual three-way handshake. */
  handshake(o: { ws0?: number; ws1?: number; win0?: number; win1?: number } = {}): this {
    const a: SegOpts = o.ws0 === undefined ? {} : { ws: o.ws0 };
    const b: SegOpts = o.ws1 === undefined ? {} : { ws: o.ws1 };
    if (o.win0 !== undefined) a.win = o.win0;
    if (o.win1 !== undefined) b.win = o.win1;
    this.syn(0, a).synAck(1, b).ack(0);
    return this;
  }

  write(file: string): void {
    const w = new PcapWriter(file, { linkType: 1, nanosecond: true });
    const base = 1_700_000_000;
    for (const p of this.pkts) {
      const frame = buildFrame(p, this.v6, this.ports);
      const ns = Math.round(p.t * 1e9);
      w.write(base + Math.floor(ns / 1e9), ns % 1e9, frame);
    }
    w.close();
  }
}

function options(o: SegOpts): number[] {
  const b: number[] = [];
  if (o.mss !== undefined) b.push(2, 4, (o.mss >> 8) & 255, o.mss & 255);
  if (o.sackPerm) b.push(4, 2);
  if (o.ts) b.push(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 1);
  if (o.ws !== undefined) b.push(1, 3, 3, o.ws);
  if (o.sack && o.sack.length > 0) {
    b.push(1, 1, 5, 2 + 8 * o.sack.length);
    for (const [l, r] of o.sack) for (const v of [l >>> 0, r >>> 0]) b.push(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  }
  while (b.length % 4) b.push(0);
  return b;
}

function csum(bytes: Uint8Array, start: number, end: number, init = 0): number {
  let s = init;
  for (let i = start; i < end; i += 2) s += (bytes[i]! << 8) | (i + 1 < end ? bytes[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function buildFrame(p: Pkt, v6: boolean, ports: [number, number]): Uint8Array {
  const opt = options(p.opts);
  const tcpLen = 20 + opt.length;
  const ipLen = v6 ? 40 : 20;
  const total = 14 + ipLen + tcpLen + p.len;
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  // Ethernet
  b.set([2, 0, 0, 0, 0, p.from === 0 ? 2 : 1, 2, 0, 0, 0, 0, p.from === 0 ? 1 : 2], 0);
  dv.setUint16(12, v6 ? 0x86dd : 0x0800);
  const ip = 14;
  const src = p.from === 0 ? 1 : 2;
  const dst = p.from === 0 ? 2 : 1;
  if (!v6) {
    b[ip] = 0x45;
    dv.setUint16(ip + 2, ipLen + tcpLen + p.len);
    dv.setUint16(ip + 6, 0x4000);
    b[ip + 8] = 64;
    b[ip + 9] = 6;
    b.set([10, 9, 0, src], ip + 12);
    b.set([10, 9, 0, dst], ip + 16);
    dv.setUint16(ip + 10, ~csum(b, ip, ip + 20) & 0xffff);
  } else {
    b[ip] = 0x60;
    dv.setUint16(ip + 4, tcpLen + p.len);
    b[ip + 6] = 6;
    b[ip + 7] = 64;
    b.set([0xfd, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, src], ip + 8);
    b.set([0xfd, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, dst], ip + 24);
  }
  const t = ip + ipLen;
  dv.setUint16(t, ports[p.from]!);
  dv.setUint16(t + 2, ports[1 - p.from]!);
  dv.setUint32(t + 4, p.seq);
  dv.setUint32(t + 8, p.ack);
  b[t + 12] = (tcpLen / 4) << 4;
  b[t + 13] = p.flags;
  dv.setUint16(t + 14, p.win);
  b.set(opt, t + 20);
  for (let i = 0; i < p.len; i++) b[t + tcpLen + i] = (i * 7) & 255;
  // TCP checksum over the pseudo-header
  let pseudo = 0;
  if (!v6) {
    pseudo = csum(b, ip + 12, ip + 20) + 6 + tcpLen + p.len;
  } else {
    pseudo = csum(b, ip + 8, ip + 40) + 6 + tcpLen + p.len;
  }
  dv.setUint16(t + 16, ~csum(b, t, total, pseudo) & 0xffff);
  return b;
}
