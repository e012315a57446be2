/**
 * @module kernel/tcp-info
 * `struct tcp_info` (include/uapi/linux/tcp.h) decoded by length. The kernel sends its own
 * sizeof(struct tcp_info) — 104 B on < 3.15 up to 280 B on 6.18 — so a field exists only when
 * `offset + size <= length`. A field the running kernel did not send is *absent* (the property is
 * not set, so JSON omits it), never 0: ss zero-fills a short struct and then cannot tell
 * "0 µs rwnd-limited" from "this kernel does not measure it". That is the difference this module
 * exists for.
 *
 * Pure: no I/O. Names are the kernel's without the `tcpi_` prefix. Units as the kernel gives them
 * (rtt, rttvar, rto, ato, min_rtt, busy_time, rwnd_limited, sndbuf_limited in µs; last_* in ms;
 * pacing/delivery rates in bytes/s). u64 counters become numbers (exact up to 2^53).
 *
 * Layout checked against the 6.18 header (AccECN counters, 248–279) and measured sizes
 * (shared/reference/linux-tcp-internals.md §2). Decoding allocates only the result object.
 */

/** The fields of struct tcp_info, in kernel order. Optional = sent only by newer kernels. */
export interface TcpInfo {
  /** Bytes the kernel sent (its sizeof(struct tcp_info)); tells which fields could be present. */
  length: number;
  state: number;
  ca_state: number;
  retransmits: number;
  probes: number;
  backoff: number;
  options: number;
  snd_wscale: number;
  rcv_wscale: number;
  delivery_rate_app_limited: number;
  fastopen_client_fail: number;
  rto: number;
  ato: number;
  snd_mss: number;
  rcv_mss: number;
  /** LISTEN: accept-queue length. */
  unacked: number;
  /** LISTEN: backlog. */
  sacked: number;
  lost: number;
  retrans: number;
  fackets: number;
  last_data_sent: number;
  last_ack_sent: number;
  last_data_recv: number;
  last_ack_recv: number;
  pmtu: number;
  rcv_ssthresh: number;
  rtt: number;
  rttvar: number;
  snd_ssthresh: number;
  snd_cwnd: number;
  advmss: number;
  reordering: number;
  rcv_rtt: number;
  rcv_space: number;
  total_retrans: number;
  // 3.15
  pacing_rate?: number;
  max_pacing_rate?: number;
  // 4.1
  bytes_acked?: number;
  bytes_received?: number;
  // 4.2
  segs_out?: number;
  segs_in?: number;
  // 4.6
  notsent_bytes?: number;
  min_rtt?: number;
  data_segs_in?: number;
  data_segs_out?: number;
  // 4.9
  delivery_rate?: number;
  // 4.10
  busy_time?: number;
  rwnd_limited?: number;
  sndbuf_limited?: number;
  // 4.18
  delivered?: number;
  delivered_ce?: number;
  // 4.19
  bytes_sent?: number;
  bytes_retrans?: number;
  dsack_dups?: number;
  reord_seen?: number;
  // 5.4
  rcv_ooopack?: number;
  snd_wnd?: number;
  // 6.2
  rcv_wnd?: number;
  rehash?: number;
  // 6.7
  total_rto?: number;
  total_rto_recoveries?: number;
  total_rto_time?: number;
  // 6.18 (AccECN)
  received_ce?: number;
  delivered_e1_bytes?: number;
  delivered_e0_bytes?: number;
  delivered_ce_bytes?: number;
  received_e1_bytes?: number;
  received_e0_bytes?: number;
  received_ce_bytes?: number;
  accecn_fail_mode?: number;
  accecn_opt_seen?: number;
}

/** The smallest tcp_info any kernel sends (fields up to total_retrans). */
export const TCP_INFO_MIN_LEN = 104;

/** Offsets of the fields that came later, with the kernel that added them (for docs and tests). */
export const TCP_INFO_LATER_FIELDS = [
  ["pacing_rate", 104, 8, "3.15"],
  ["max_pacing_rate", 112, 8, "3.15"],
  ["bytes_acked", 120, 8, "4.1"],
  ["bytes_received", 128, 8, "4.1"],
  ["segs_out", 136, 4, "4.2"],
  ["segs_in", 140, 4, "4.2"],
  ["notsent_bytes", 144, 4, "4.6"],
  ["min_rtt", 148, 4, "4.6"],
  ["data_segs_in", 152, 4, "4.6"],
  ["data_segs_out", 156, 4, "4.6"],
  ["delivery_rate", 160, 8, "4.9"],
  ["busy_time", 168, 8, "4.10"],
  ["rwnd_limited", 176, 8, "4.10"],
  ["sndbuf_limited", 184, 8, "4.10"],
  ["delivered", 192, 4, "4.18"],
  ["delivered_ce", 196, 4, "4.18"],
  ["bytes_sent", 200, 8, "4.19"],
  ["bytes_retrans", 208, 8, "4.19"],
  ["dsack_dups", 216, 4, "4.19"],
  ["reord_seen", 220, 4, "4.19"],
  ["rcv_ooopack", 224, 4, "5.4"],
  ["snd_wnd", 228, 4, "5.4"],
  ["rcv_wnd", 232, 4, "6.2"],
  ["rehash", 236, 4, "6.2"],
  ["total_rto", 240, 2, "6.7"],
  ["total_rto_recoveries", 242, 2, "6.7"],
  ["total_rto_time", 244, 4, "6.7"],
  ["received_ce", 248, 4, "6.18"],
  ["delivered_e1_bytes", 252, 4, "6.18"],
  ["delivered_e0_bytes", 256, 4, "6.18"],
  ["delivered_ce_bytes", 260, 4, "6.18"],
  ["received_e1_bytes", 264, 4, "6.18"],
  ["received_e0_bytes", 268, 4, "6.18"],
  ["received_ce_bytes", 272, 4, "6.18"],
  ["accecn_fail_mode", 276, 2, "6.18"],
  ["accecn_opt_seen", 278, 2, "6.18"],
] as const;

/** tcpi_options bits (include/uapi/linux/tcp.h TCPI_OPT_*). */
export const TCPI_OPT = {
  TIMESTAMPS: 1,
  SACK: 2,
  WSCALE: 4,
  ECN: 8,
  ECN_SEEN: 16,
  SYN_DATA: 32,
  USEC_TS: 64,
} as const;

/** tcpi_ca_state (enum tcp_ca_state). */
export const TCP_CA_STATES = ["open", "disorder", "cwr", "recovery", "loss"] as const;

export type DecodedTcpInfo = { ok: true; value: TcpInfo } | { ok: false; error: { code: "short_tcp_info"; offset: number; need: number; have: number } };

/**
 * Decode a tcp_info of any length the kernel may send. Throws nothing; a buffer shorter than the
 * 104-byte base is an error value (no kernel sends less: it would be a truncated message).
 */
export function decodeTcpInfo(bytes: Uint8Array): TcpInfo {
  const r = decodeTcpInfoChecked(bytes);
  if (!r.ok) throw new RangeError(`tcp_info: ${r.error.have} bytes, need at least ${r.error.need}`);
  return r.value;
}

/** As decodeTcpInfo, but a short buffer is returned as an error value instead of thrown. */
export function decodeTcpInfoChecked(bytes: Uint8Array): DecodedTcpInfo {
  if (bytes.length < TCP_INFO_MIN_LEN) {
    return { ok: false, error: { code: "short_tcp_info", offset: 0, need: TCP_INFO_MIN_LEN, have: bytes.length } };
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { ok: true, value: decodeTcpInfoAt(dv, 0, bytes.length) };
}

const u64 = (dv: DataView, o: number): number => dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 4294967296;

/**
 * The hot-path form: decode `len` bytes at `off` of a DataView over a whole netlink reply, without
 * a sub-view. The caller has checked `len >= TCP_INFO_MIN_LEN` and that the bytes are in range.
 * Host byte order is little-endian on every platform this runs on (x86-64, arm64).
 */
export function decodeTcpInfoAt(dv: DataView, off: number, len: number): TcpInfo {
  // Current kernels (6.18: 280 B) take one object literal: one hidden class, no transitions.
  if (len >= 280) return decodeFull(dv, off, len);
  return decodeByLength(dv, off, len);
}

function decodeFull(dv: DataView, off: number, len: number): TcpInfo {
  const b7 = dv.getUint8(off + 7);
  const ws = dv.getUint8(off + 6);
  return {
    length: len,
    state: dv.getUint8(off),
    ca_state: dv.getUint8(off + 1),
    retransmits: dv.getUint8(off + 2),
    probes: dv.getUint8(off + 3),
    backoff: dv.getUint8(off + 4),
    options: dv.getUint8(off + 5),
    snd_wscale: ws & 0x0f,
    rcv_wscale: ws >>> 4,
    delivery_rate_app_limited: b7 & 1,
    fastopen_client_fail: (b7 >>> 1) & 3,
    rto: dv.getUint32(off + 8, true),
    ato: dv.getUint32(off + 12, true),
    snd_mss: dv.getUint32(off + 16, true),
    rcv_mss: dv.getUint32(off + 20, true),
    unacked: dv.getUint32(off + 24, true),
    sacked: dv.getUint32(off + 28, true),
    lost: dv.getUint32(off + 32, true),
    retrans: dv.getUint32(off + 36, true),
    fackets: dv.getUint32(off + 40, true),
    last_data_sent: dv.getUint32(off + 44, true),
    last_ack_sent: dv.getUint32(off + 48, true),
    last_data_recv: dv.getUint32(off + 52, true),
    last_ack_recv: dv.getUint32(off + 56, true),
    pmtu: dv.getUint32(off + 60, true),
    rcv_ssthresh: dv.getUint32(off + 64, true),
    rtt: dv.getUint32(off + 68, true),
    rttvar: dv.getUint32(off + 72, true),
    snd_ssthresh: dv.getUint32(off + 76, true),
    snd_cwnd: dv.getUint32(off + 80, true),
    advmss: dv.getUint32(off + 84, true),
    reordering: dv.getUint32(off + 88, true),
    rcv_rtt: dv.getUint32(off + 92, true),
    rcv_space: dv.getUint32(off + 96, true),
    total_retrans: dv.getUint32(off + 100, true),
    pacing_rate: u64(dv, off + 104),
    max_pacing_rate: u64(dv, off + 112),
    bytes_acked: u64(dv, off + 120),
    bytes_received: u64(dv, off + 128),
    segs_out: dv.getUint32(off + 136, true),
    segs_in: dv.getUint32(off + 140, true),
    notsent_bytes: dv.getUint32(off + 144, true),
    min_rtt: dv.getUint32(off + 148, true),
    data_segs_in: dv.getUint32(off + 152, true),
    data_segs_out: dv.getUint32(off + 156, true),
    delivery_rate: u64(dv, off + 160),
    busy_time: u64(dv, off + 168),
    rwnd_limited: u64(dv, off + 176),
    sndbuf_limited: u64(dv, off + 184),
    delivered: dv.getUint32(off + 192, true),
    delivered_ce: dv.getUint32(off + 196, true),
    bytes_sent: u64(dv, off + 200),
    bytes_retrans: u64(dv, off + 208),
    dsack_dups: dv.getUint32(off + 216, true),
    reord_seen: dv.getUint32(off + 220, true),
    rcv_ooopack: dv.getUint32(off + 224, true),
    snd_wnd: dv.getUint32(off + 228, true),
    rcv_wnd: dv.getUint32(off + 232, true),
    rehash: dv.getUint32(off + 236, true),
    total_rto: dv.getUint16(off + 240, true),
    total_rto_recoveries: dv.getUint16(off + 242, true),
    total_rto_time: dv.getUint32(off + 244, true),
    received_ce: dv.getUint32(off + 248, true),
    delivered_e1_bytes: dv.getUint32(off + 252, true),
    delivered_e0_bytes: dv.getUint32(off + 256, true),
    delivered_ce_bytes: dv.getUint32(off + 260, true),
    received_e1_bytes: dv.getUint32(off + 264, true),
    received_e0_bytes: dv.getUint32(off + 268, true),
    received_ce_bytes: dv.getUint32(off + 272, true),
    accecn_fail_mode: dv.getUint16(off + 276, true),
    accecn_opt_seen: dv.getUint16(off + 278, true),
  };
}

/**
 * Older kernels (and forged short buffers): the 104-byte base, then each later field exactly
 * when `offset + size <= len` — the rule the kernel's length implies. Table-driven: rare path.
 */
function decodeByLength(dv: DataView, off: number, len: number): TcpInfo {
  const t = decodeBase(dv, off, len);
  const rec = t as unknown as Record<string, number>;
  for (const [name, o, size] of TCP_INFO_LATER_FIELDS) {
    if (o + size > len) break; // fields are in offset order
    rec[name] = size === 8 ? u64(dv, off + o) : size === 4 ? dv.getUint32(off + o, true) : dv.getUint16(off + o, true);
  }
  return t;
}

function decodeBase(dv: DataView, off: number, len: number): TcpInfo {
  const b7 = dv.getUint8(off + 7);
  const ws = dv.getUint8(off + 6);
  return {
    length: len,
    state: dv.getUint8(off),
    ca_state: dv.getUint8(off + 1),
    retransmits: dv.getUint8(off + 2),
    probes: dv.getUint8(off + 3),
    backoff: dv.getUint8(off + 4),
    options: dv.getUint8(off + 5),
    snd_wscale: ws & 0x0f,
    rcv_wscale: ws >>> 4,
    delivery_rate_app_limited: b7 & 1,
    fastopen_client_fail: (b7 >>> 1) & 3,
    rto: dv.getUint32(off + 8, true),
    ato: dv.getUint32(off + 12, true),
    snd_mss: dv.getUint32(off + 16, true),
    rcv_mss: dv.getUint32(off + 20, true),
    unacked: dv.getUint32(off + 24, true),
    sacked: dv.getUint32(off + 28, true),
    lost: dv.getUint32(off + 32, true),
    retrans: dv.getUint32(off + 36, true),
    fackets: dv.getUint32(off + 40, true),
    last_data_sent: dv.getUint32(off + 44, true),
    last_ack_sent: dv.getUint32(off + 48, true),
    last_data_recv: dv.getUint32(off + 52, true),
    last_ack_recv: dv.getUint32(off + 56, true),
    pmtu: dv.getUint32(off + 60, true),
    rcv_ssthresh: dv.getUint32(off + 64, true),
    rtt: dv.getUint32(off + 68, true),
    rttvar: dv.getUint32(off + 72, true),
    snd_ssthresh: dv.getUint32(off + 76, true),
    snd_cwnd: dv.getUint32(off + 80, true),
    advmss: dv.getUint32(off + 84, true),
    reordering: dv.getUint32(off + 88, true),
    rcv_rtt: dv.getUint32(off + 92, true),
    rcv_space: dv.getUint32(off + 96, true),
    total_retrans: dv.getUint32(off + 100, true),
  };
}

/** Base fields after `state`, in kernel order: [name, offset, kind] for writers that skip objects. */
export const TCP_INFO_BASE_FIELDS = [
  ["ca_state", 1, "u8"],
  ["retransmits", 2, "u8"],
  ["probes", 3, "u8"],
  ["backoff", 4, "u8"],
  ["options", 5, "u8"],
  ["snd_wscale", 6, "lo4"],
  ["rcv_wscale", 6, "hi4"],
  ["delivery_rate_app_limited", 7, "bit0"],
  ["fastopen_client_fail", 7, "bits12"],
  ["rto", 8, "u32"],
  ["ato", 12, "u32"],
  ["snd_mss", 16, "u32"],
  ["rcv_mss", 20, "u32"],
  ["unacked", 24, "u32"],
  ["sacked", 28, "u32"],
  ["lost", 32, "u32"],
  ["retrans", 36, "u32"],
  ["fackets", 40, "u32"],
  ["last_data_sent", 44, "u32"],
  ["last_ack_sent", 48, "u32"],
  ["last_data_recv", 52, "u32"],
  ["last_ack_recv", 56, "u32"],
  ["pmtu", 60, "u32"],
  ["rcv_ssthresh", 64, "u32"],
  ["rtt", 68, "u32"],
  ["rttvar", 72, "u32"],
  ["snd_ssthresh", 76, "u32"],
  ["snd_cwnd", 80, "u32"],
  ["advmss", 84, "u32"],
  ["reordering", 88, "u32"],
  ["rcv_rtt", 92, "u32"],
  ["rcv_space", 96, "u32"],
  ["total_retrans", 100, "u32"],
] as const;

/** Read one u64 field as a number (exact below 2^53). */
export function tcpInfoU64(dv: DataView, o: number): number {
  return u64(dv, o);
}
