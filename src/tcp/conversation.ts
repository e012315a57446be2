/**
 * @module tcp/conversation
 * One TCP conversation (Wireshark's `tcp_analysis`): its stream number, the two endpoints as
 * first seen, the two directions, and the conversation-wide handshake timing. Direction 0 is the
 * side that sent the conversation's first packet.
 */
import { HalfFlow } from "./half-flow.js";
import type { StreamAssembler } from "./stream-assembler.js";

/** Shared empty placeholder: IPv4 conversations carry no IPv6 arrays (memory per connection). */
const NO_V6 = new Uint8Array(0);

export class Conversation {
  readonly dirs: [HalfFlow, HalfFlow];
  ipVersion = 4;
  /** Endpoint 0 (sender of the first packet) and endpoint 1. */
  v4a = 0;
  v4b = 0;
  /** IPv6 endpoints (16 bytes each), allocated only for IPv6 conversations. */
  v6a: Uint8Array = NO_V6;
  v6b: Uint8Array = NO_V6;
  portA = 0;
  portB = 0;
  /** Most recent pure SYN time (Wireshark ts_mru_syn); `hasMruSyn` false = never. */
  hasMruSyn = false;
  mruSynNs = 0;
  /** Initial RTT in ns, 0 = not known (Wireshark's ts_first_rtt, zero meaning unset). */
  firstRttNs = 0;
  /** 0 or 1: the side that sent the first pure SYN, else -1 (then direction 0 is the client). */
  synSide = -1;
  sawSynAck = false;
  startNs = 0;
  endNs = 0;
  firstFrame = 0;
  /** 0 SYN, 1 ESTABLISHED, 2 FIN, 3 RST (as last seen). */
  state = 0;
  /** Included by the caller's filters (--stream/--port/--host). */
  selected = true;
  /** A new SYN on the same tuple started another conversation: no packet can reach this one. */
  superseded = false;
  /**
   * Reassembly for the protocols that asked to follow this connection (tcp/stream): `streams` is
   * fed every packet and goes null once every handler released the flow; `app` keeps it for the
   * handlers' results. Both null when no protocol wanted it.
   */
  streams: StreamAssembler | null = null;
  app: StreamAssembler | null = null;

  constructor(
    readonly stream: number,
    absZeroNs: number,
  ) {
    this.dirs = [new HalfFlow(absZeroNs), new HalfFlow(absZeroNs)];
  }
}
