/**
 * @module diagnose/live-flags
 * Policy for one live socket (tcpwin sockets): which of its numbers deserve a flag. Pure; the
 * caller passes the machine's sysctls. Every flag carries the inputs it was computed from.
 *
 * What sock_diag does not say, and how we infer it: the SOCK_RCVBUF_LOCK bit is not exported, so
 * "SO_RCVBUF was set" is inferred — for a listener from rb ≠ tcp_rmem[1] (listeners never
 * autotune); for a connection from a receive window scale below the one an unset buffer gets
 * (the kernel picks rcv_wscale from the locked buffer, §4 of the reference) or rb < tcp_rmem[1]
 * (autotuning only grows). It is said as an inference ("≈").
 */
import { effectiveRcvbuf, rcvbufToWindow, winFromSpace, type KernelFamily } from "../model/index.js";

/** What policy needs of a socket: kernel names (tcp_info without tcpi_), all optional. */
export interface LiveSocketFacts {
  state: string;
  rb?: number | undefined;
  tb?: number | undefined;
  snd_mss?: number | undefined;
  rcv_mss?: number | undefined;
  advmss?: number | undefined;
  rtt?: number | undefined;
  snd_wnd?: number | undefined;
  rcv_wnd?: number | undefined;
  rcv_wscale?: number | undefined;
  snd_wscale?: number | undefined;
  /** tcpi_options bit 4 (TCPI_OPT_WSCALE). */
  wscale_ok?: boolean | undefined;
  timestamps?: boolean | undefined;
  /** Bytes received and not yet read by the application (ss Recv-Q, idiag_rqueue). */
  rqueue?: number | undefined;
  /** skmem drops: packets dropped on this socket (receive buffer full, ...). */
  drops?: number | undefined;
  /** The peer's socket, when it is on this host too (the caller matched the endpoints). */
  peer_here?: PeerHere | undefined;
}

/** A connection's other end, found among this host's sockets. */
export interface PeerHere {
  rqueue: number;
  rb?: number | undefined;
  drops?: number | undefined;
  /** "pid/comm", when known. */
  process?: string | undefined;
}

export interface MachineLimits {
  family: KernelFamily;
  rmemMax: number;
  tcpRmem: readonly [number, number, number];
  tcpWmem: readonly [number, number, number];
  /** Link rate assumed for the BDP check, bits/s. */
  bandwidthBps: number;
}

export const LIVE_FLAG_KINDS = ["peer_window_zero", "receive_window_zero", "peer_window_small", "rcvbuf_locked", "rcvbuf_below_bdp", "sndbuf_below_bdp", "listener_small_buffer"] as const;
export type LiveFlagKind = (typeof LIVE_FLAG_KINDS)[number];

export interface LiveFlag {
  kind: LiveFlagKind;
  /** "warning" needs attention; "info" explains a number. */
  severity: "warning" | "info";
  message: string;
  /** The numbers behind the message. */
  inputs: Record<string, number | string | boolean>;
}

/** The rcv_wscale a connection gets when nobody set SO_RCVBUF on it (or its listener). */
export function defaultRcvWscale(m: MachineLimits): number {
  // Asked once per socket: remember it per limits object (the model builds explanation text).
  let w = wscaleCache.get(m);
  if (w === undefined) {
    w = rcvbufToWindow({ mss: 1460, family: m.family, rmemMax: m.rmemMax, tcpRmem: m.tcpRmem }).wscale;
    wscaleCache.set(m, w);
  }
  return w;
}
const wscaleCache = new WeakMap<MachineLimits, number>();

/** Inference: was SO_RCVBUF set on this socket (or inherited from its listener)? */
export function rcvbufLockGuess(s: LiveSocketFacts, m: MachineLimits): { locked: boolean; reason: string } | undefined {
  if (s.rb === undefined) return undefined;
  if (s.state === "LISTEN") {
    return s.rb !== m.tcpRmem[1]
      ? { locked: true, reason: `listener rb ${s.rb} ≠ tcp_rmem[1] ${m.tcpRmem[1]} (listeners do not autotune)` }
      : { locked: false, reason: `listener rb = tcp_rmem[1] ${m.tcpRmem[1]}` };
  }
  if (s.state !== "ESTAB" && s.state !== "CLOSE-WAIT" && s.state !== "FIN-WAIT-1" && s.state !== "FIN-WAIT-2" && s.state !== "SYN-RECV") return undefined;
  const def = defaultRcvWscale(m);
  if (s.wscale_ok && s.rcv_wscale !== undefined && s.rcv_wscale < def) {
    return { locked: true, reason: `rcv_wscale ${s.rcv_wscale} < ${def}, the scale an unset buffer gets here` };
  }
  if (s.wscale_ok === false && s.rb < m.tcpRmem[1]) {
    return { locked: true, reason: `rb ${s.rb} < tcp_rmem[1] ${m.tcpRmem[1]} (autotuning only grows)` };
  }
  if (s.rb < m.tcpRmem[1]) return { locked: true, reason: `rb ${s.rb} < tcp_rmem[1] ${m.tcpRmem[1]} (autotuning only grows)` };
  return { locked: false, reason: "window scale and rb as an unset buffer has them" };
}

/** "≈ 512 requested" (or "≤ 1152" at the 2304 floor) for a locked rb. */
export function requestedFromRb(rb: number): { requested: number; atFloor: boolean } {
  const atFloor = rb <= effectiveRcvbuf(0);
  return { requested: Math.floor(rb / 2), atFloor };
}

const dropsText = (n: number) => `${n} packet${n === 1 ? "" : "s"} dropped (skmem)`;

/** "; its socket here (pid/comm) holds Recv-Q N B unread of rb M, D packets dropped (skmem)", or "". */
export function peerHereText(p: PeerHere | undefined): string {
  if (!p) return "";
  return (
    `; its socket here${p.process ? ` (${p.process})` : ""} holds Recv-Q ${p.rqueue} B unread` +
    (p.rb !== undefined ? ` of rb ${p.rb}` : "") +
    (p.drops ? `, ${dropsText(p.drops)}` : "")
  );
}

/** All flags for one socket. */
export function liveSocketFlags(s: LiveSocketFacts, m: MachineLimits): LiveFlag[] {
  const flags: LiveFlag[] = [];
  const lock = rcvbufLockGuess(s, m);
  if (lock?.locked && s.rb !== undefined) {
    const { requested, atFloor } = requestedFromRb(s.rb);
    flags.push({
      kind: "rcvbuf_locked",
      severity: "info",
      message: `rb ${s.rb}: SO_RCVBUF ${atFloor ? `≤ ${requested}` : `≈ ${requested}`} requested (rb/2), autotuning off — ${lock.reason}`,
      inputs: { rb: s.rb, requested_estimate: requested, at_floor: atFloor },
    });
  }

  if (s.state === "LISTEN" && lock?.locked && s.rb !== undefined) {
    const mss = s.advmss && s.advmss > 0 && s.advmss < 65536 ? s.advmss : 1460;
    const w = rcvbufToWindow({ requested: Math.floor(s.rb / 2), mss, family: m.family, rmemMax: Infinity, tcpRmem: m.tcpRmem });
    flags.push({
      kind: "listener_small_buffer",
      severity: w.windowSteady < 65535 ? "warning" : "info",
      message:
        `every accepted socket inherits rb ${s.rb}: window scale ${w.wscale}, SYN-ACK window ${w.windowSyn} B, ` +
        `steady window ≈ ${w.windowSteady} B at MSS ${mss}${s.advmss && s.advmss > 0 ? " (of an accepted connection)" : " (assumed: a listener reports none)"}`,
      inputs: { rb: s.rb, mss, wscale: w.wscale, window_syn: w.windowSyn, window_steady: w.windowSteady },
    });
  }

  // A zero window is not a small one: the receiving application is not reading, and its full
  // buffer (not its size) stops the sender. Say so, with that socket's queue when it is here.
  if (s.state === "ESTAB" && s.snd_wnd === 0) {
    const p = s.peer_here;
    const inputs: Record<string, number | string | boolean> = { snd_wnd: 0 };
    if (p) {
      inputs.peer_rqueue = p.rqueue;
      if (p.rb !== undefined) inputs.peer_rb = p.rb;
      if (p.drops !== undefined) inputs.peer_drops = p.drops;
    }
    flags.push({
      kind: "peer_window_zero",
      severity: "warning",
      message: `peer window 0: the receiving application is not reading (its receive buffer is full), so nothing can be sent until it reads${peerHereText(p)}`,
      inputs,
    });
  } else if (s.state === "ESTAB" && s.snd_wnd !== undefined && s.snd_mss !== undefined && s.snd_mss > 0 && s.snd_wnd <= 2 * s.snd_mss && s.snd_wnd < 65535) {
    flags.push({
      kind: "peer_window_small",
      severity: "warning",
      message: `peer window ${s.snd_wnd} B ≤ 2 × MSS ${s.snd_mss}: at most ${Math.max(1, Math.floor(s.snd_wnd / s.snd_mss))} segment(s) per round trip`,
      inputs: { snd_wnd: s.snd_wnd, snd_mss: s.snd_mss },
    });
  }

  if (s.state === "ESTAB" && s.rcv_wnd === 0) {
    const inputs: Record<string, number | string | boolean> = { rcv_wnd: 0 };
    if (s.rqueue !== undefined) inputs.rqueue = s.rqueue;
    if (s.rb !== undefined) inputs.rb = s.rb;
    if (s.drops !== undefined) inputs.drops = s.drops;
    flags.push({
      kind: "receive_window_zero",
      severity: "warning",
      message:
        `we advertise a zero window: this application is not reading` +
        (s.rqueue !== undefined ? ` (Recv-Q ${s.rqueue} B unread${s.rb !== undefined ? ` of rb ${s.rb}` : ""})` : "") +
        (s.drops ? `, ${dropsText(s.drops)}` : "") +
        `: the peer cannot send until it reads`,
      inputs,
    });
  }

  if (s.state === "ESTAB" && s.rtt !== undefined && s.rtt > 0) {
    const bdp = Math.round((m.bandwidthBps / 8) * (s.rtt / 1e6));
    if (s.rb !== undefined) {
      // An autotuned buffer can still grow to tcp_rmem[2]; only its ceiling matters.
      const cap = lock?.locked ? s.rb : Math.max(s.rb, m.tcpRmem[2]);
      const win = winFromSpace(cap, m.family);
      if (win < bdp) {
        flags.push({
          kind: "rcvbuf_below_bdp",
          severity: "warning",
          message: `receive window from rb ${cap}${lock?.locked ? "" : " (autotuning ceiling)"} ≈ ${win} B < BDP ${bdp} B (${m.bandwidthBps / 1e6} Mbit/s × RTT ${(s.rtt / 1000).toFixed(3)} ms)`,
          inputs: { rb: cap, window: win, bdp, rtt_us: s.rtt, bandwidth_bps: m.bandwidthBps },
        });
      }
    }
    if (s.tb !== undefined) {
      // Below tcp_wmem[1] the buffer was set (SO_SNDBUF) and stays; else it autotunes up to
      // tcp_wmem[2], and that ceiling is what can hold the data, not today's tb.
      const locked = s.tb < m.tcpWmem[1];
      const cap = locked ? s.tb : Math.max(s.tb, m.tcpWmem[2]);
      // sk_sndbuf counts skb overhead too: about half of it is payload.
      const sendable = cap / 2;
      if (sendable < bdp) {
        flags.push({
          kind: "sndbuf_below_bdp",
          severity: "warning",
          message:
            `send buffer from tb ${cap}${locked ? "" : ` (autotuning ceiling; tb now ${s.tb})`} holds ≈ ${Math.round(sendable)} B of data < BDP ${bdp} B ` +
            `(${m.bandwidthBps / 1e6} Mbit/s × RTT ${(s.rtt / 1000).toFixed(3)} ms)`,
          inputs: { tb: s.tb, tb_ceiling: cap, autotuned: !locked, sendable: Math.round(sendable), bdp, rtt_us: s.rtt, bandwidth_bps: m.bandwidthBps },
        });
      }
    }
  }
  return flags;
}
