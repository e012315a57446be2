/**
 * @module tcp/flags
 * The analysis flags of one segment as bits (Wireshark's TCP_A_* names), and the tshark field
 * name of each. One number per packet keeps the hot path allocation-free; names are only looked
 * up when a person or `--packets` asks.
 */

export const TcpFlag = {
  retransmission: 0x0001,
  lost_segment: 0x0002,
  ack_lost_segment: 0x0004,
  keep_alive: 0x0008,
  duplicate_ack: 0x0010,
  zero_window: 0x0020,
  zero_window_probe: 0x0040,
  zero_window_probe_ack: 0x0080,
  keep_alive_ack: 0x0100,
  out_of_order: 0x0200,
  fast_retransmission: 0x0400,
  window_update: 0x0800,
  window_full: 0x1000,
  reused_ports: 0x2000,
  spurious_retransmission: 0x4000,
} as const;
export type TcpFlagName = keyof typeof TcpFlag;

/** Every flag in the order tshark's expert info lists them. */
export const TCP_FLAG_NAMES: readonly TcpFlagName[] = Object.keys(TcpFlag) as TcpFlagName[];

/**
 * The flags whose expert info also raises `tcp.analysis.retransmission` in tshark: fast and
 * spurious retransmissions add the generic retransmission expert item; out-of-order does not.
 */
export const RETRANSMISSION_FAMILY = TcpFlag.retransmission | TcpFlag.fast_retransmission | TcpFlag.spurious_retransmission;

/** tshark field name of a flag. */
export function tsharkFlagField(name: TcpFlagName): string {
  return name === "reused_ports" ? "tcp.analysis.reused_ports" : `tcp.analysis.${name}`;
}
