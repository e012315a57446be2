/**
 * @module tcp/evidence-builder
 * Conversation state → `ConnectionEvidence` (evidence.ts), once, at the end. Allocates freely:
 * it runs once per connection, not per packet.
 *
 * Scaling of advertised windows: with a handshake, Wireshark's rule (shift from the SYNs, or none
 * if either SYN lacked the option); without one, the inferred shift (wscale-inference.ts) with its
 * confidence, or raw windows when nothing can be inferred.
 */
import { ipv4ToString, ipv6ToString } from "../capture/decode.js";
import type { Conversation } from "./conversation.js";
import type { ConnectionEvidence, DirectionEvidence, Endpoint, WindowScaleInfo } from "./evidence.js";
import { TCP_FLAG_NAMES, TcpFlag } from "./flags.js";
import type { HalfFlow } from "./half-flow.js";
import { seqSub } from "./seq.js";

const STATE = ["SYN", "ESTABLISHED", "FIN", "RST"] as const;

function endpoint(c: Conversation, side: number): Endpoint {
  if (c.ipVersion === 4) return { addr: ipv4ToString(side === 0 ? c.v4a : c.v4b), port: side === 0 ? c.portA : c.portB };
  return { addr: ipv6ToString(side === 0 ? c.v6a : c.v6b), port: side === 0 ? c.portA : c.portB };
}

/** How the windows `receiver` advertises to `sender` are scaled. */
export function receiverScale(sender: HalfFlow, receiver: HalfFlow): WindowScaleInfo {
  if (receiver.winScale >= 0) return { shift: receiver.winScale, source: "handshake" };
  if (receiver.winScale === -2) return { shift: -2, source: "not_used" };
  const v = sender.peerScale.verdict();
  if (v === null) return { shift: -1, source: "unknown" };
  return { shift: v.shift, source: "inferred", confidence: v.confidence, reason: v.reason };
}

function direction(c: Conversation, s: number): DirectionEvidence {
  const sender = c.dirs[s]!;
  const receiver = c.dirs[1 - s]!;
  const scale = receiverScale(sender, receiver);
  const shift = scale.shift >= 0 ? scale.shift : 0;
  const { limits, smallShare } = sender.limits.shares(shift);
  const flags: Record<string, number> = {};
  for (const name of TCP_FLAG_NAMES) {
    const bit = Math.log2(TcpFlag[name]);
    const n = sender.flagCounts === null ? 0 : sender.flagCounts[bit]!;
    if (n > 0) flags[name] = n;
  }
  // One count per flag bit: "retransmission" is the plain (RTO-like) kind only; fast and spurious
  // retransmissions have their own keys (tshark's field would count all three; diagnose/ sums them).
  if (sender.windowFullInferred > 0) flags.window_full_inferred = sender.windowFullInferred;
  return {
    sender: endpoint(c, s),
    receiver: endpoint(c, 1 - s),
    packets: sender.packets,
    bytes: sender.hasData ? seqSub(sender.dataHighEnd, sender.dataFirstSeq) : 0,
    bytes_sent: sender.bytesSent,
    first_data_s: sender.hasData ? sender.firstDataNs / 1e9 : null,
    last_data_s: sender.hasData ? sender.lastDataNs / 1e9 : null,
    mss_syn: sender.mssSyn >= 0 ? sender.mssSyn : null,
    max_segment: sender.maxSegment,
    rwnd_adv: receiver.advRaw.toStats(2 ** shift),
    bytes_in_flight: sender.bif.toStats(),
    rtt_ms: sender.rtt.toStats(1e-6, true),
    rtt_on_reply_ms: sender.rttOnReply.toStats(1e-6, true),
    flags,
    rwnd_scale: scale,
    limits,
    zero_window_s: sender.limits.zeroWindowNs / 1e9,
    small_window_share: smallShare,
  };
}

export function buildEvidence(c: Conversation): ConnectionEvidence {
  const client = c.synSide >= 0 ? c.synSide : 0;
  const app = c.app?.results() ?? null;
  const e: ConnectionEvidence = {
    stream: c.stream,
    client: endpoint(c, client),
    server: endpoint(c, 1 - client),
    start_s: c.startNs / 1e9,
    end_s: c.endNs / 1e9,
    duration_s: (c.endNs - c.startNs) / 1e9,
    handshake_seen: c.synSide >= 0 && c.sawSynAck,
    irtt_ms: c.firstRttNs !== 0 ? c.firstRttNs / 1e6 : null,
    state: STATE[c.state]!,
    c2s: direction(c, client),
    s2c: direction(c, 1 - client),
  };
  if (app !== null) e.app = app;
  return e;
}
