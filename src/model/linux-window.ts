/**
 * @module model/linux-window
 * How Linux turns an SO_RCVBUF request into the receive window it advertises. Pure arithmetic;
 * every step names the kernel function it follows (net/core/sock.c, net/ipv4/tcp_output.c,
 * include/net/tcp.h). Facts and measurements: shared/reference/linux-tcp-internals.md §4.
 */

/** SOCK_MIN_RCVBUF = 2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff)) = 2304 on x86-64. */
export const SOCK_MIN_RCVBUF = 2304;
/** Default net.core.rmem_max on current kernels (4 MiB since 6.x; 212992 on older ones). */
export const DEFAULT_RMEM_MAX = 4_194_304;
/** Default net.ipv4.tcp_rmem on current kernels. */
export const DEFAULT_TCP_RMEM: readonly [number, number, number] = [4096, 131072, 33554432];
/** TCP_MAX_WSCALE (RFC 7323 §2.3). */
const TCP_MAX_WSCALE = 14;
/** A locked buffer's window is 16 bits wide when wscale is 0. */
const U16_MAX = 65535;
/** SKB_DATA_ALIGN(sizeof(struct sk_buff)) and SKB_DATA_ALIGN(sizeof(struct skb_shared_info)), x86-64. */
const SKB_STRUCT = 256;
const SKB_SHINFO = 320;
/** NET_SKB_PAD: headroom a driver reserves in front of a received packet. */
const NET_SKB_PAD = 64;
/** TCP_RMEM_TO_WIN_SCALE: scaling_ratio is a fraction of 256. */
const RATIO_ONE = 256;

/** The kmalloc size class an allocation of n bytes lands in (x86-64: 96, 192, then powers of two). */
function kmallocBucket(n: number): number {
  if (n > 64 && n <= 96) return 96;
  if (n > 128 && n <= 192) return 192;
  let p = 8;
  while (p < n) p *= 2;
  return p;
}

/**
 * skb->truesize of one received packet of `ipLen` bytes in a linear skb, as __alloc_skb charges it:
 * SKB_DATA_ALIGN(NET_SKB_PAD + len) + shared info, rounded up to the kmalloc class, plus struct
 * sk_buff. TUN (the lab's link), and drivers that copy small packets, allocate this way: a 614-byte
 * packet (MSS 574) is charged 1280 B, a 1488-byte one (MSS 1448) 2304 B. NIC drivers that receive
 * into page fragments charge more (typically 2048 or 4096 + 256); pass `truesize` for those.
 */
export function skbTruesize(ipLen: number): number {
  // The data area (headroom + packet, cache-aligned, + shared info) is one kmalloc; truesize is
  // that whole allocation (shared info included) plus struct sk_buff.
  const data = Math.ceil((NET_SKB_PAD + ipLen) / 64) * 64 + SKB_SHINFO;
  return kmallocBucket(data) + SKB_STRUCT;
}

/** The sender's segment when the peer's largest window is small: tcp_bound_to_half_wnd(). */
export function boundToHalfWindow(segment: number, maxWindow: number): number {
  const cutoff = maxWindow > 536 ? maxWindow >> 1 : maxWindow;
  return cutoff > 0 && segment > cutoff ? Math.max(cutoff, 68 - 20) : segment;
}

export type KernelFamily = "pre-6.6" | "6.6-6.9" | "6.10+";

export interface KernelVersion {
  major: number;
  minor: number;
}

/** "6.18.44-fc-v769" → {6, 18}; undefined when it does not start with two numbers. */
export function parseKernelVersion(text: string): KernelVersion | undefined {
  const m = /^\s*(\d+)\.(\d+)/.exec(text);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/**
 * Which buffer→window rule a kernel uses.
 * - before 6.6: `win = space - (space >> tcp_adv_win_scale)` (tcp_win_from_space, default scale 1 → ½).
 * - 6.6–6.9: `win = space * scaling_ratio >> 8`, initial ratio TCP_DEFAULT_SCALING_RATIO ≈ 65
 *   (1200·256 / SKB_TRUESIZE(4096)), from "tcp: get rid of sysctl_tcp_adv_win_scale" (6.6).
 * - 6.10 and later: the same with the initial ratio 128 (½) (also in late 6.9.y stable kernels,
 *   which this table counts as 6.6-6.9: pass `--kernel 6.10` for those).
 */
export function kernelFamily(v: KernelVersion): KernelFamily {
  if (v.major < 6 || (v.major === 6 && v.minor < 6)) return "pre-6.6";
  if (v.major === 6 && v.minor < 10) return "6.6-6.9";
  return "6.10+";
}

/** The initial scaling_ratio (out of 256) a family starts with; undefined before 6.6. */
export function initialScalingRatio(family: KernelFamily): number | undefined {
  return family === "pre-6.6" ? undefined : family === "6.6-6.9" ? 65 : 128;
}

/** tcp_win_from_space(): how much of `space` bytes of buffer the kernel offers as window. */
export function winFromSpace(space: number, family: KernelFamily, advWinScale = 1): number {
  if (space <= 0) return 0;
  if (family === "pre-6.6") {
    return advWinScale <= 0 ? space >> -advWinScale : space - (space >> advWinScale);
  }
  const ratio = initialScalingRatio(family)!;
  return Math.floor((space * ratio) / 256);
}

/** sock_setsockopt(SO_RCVBUF): `max(2 * min(val, rmem_max), SOCK_MIN_RCVBUF)`. */
export function effectiveRcvbuf(requested: number, rmemMax = DEFAULT_RMEM_MAX): number {
  const val = Math.min(Math.max(requested, 0), rmemMax);
  return Math.max(2 * val, SOCK_MIN_RCVBUF);
}

export interface RcvbufWindowInput {
  /** Value passed to setsockopt(SO_RCVBUF); undefined = never set (autotuning, tcp_rmem). */
  requested?: number | undefined;
  /** The MSS the peer sends with (our advmss); with timestamps the kernel rounds to mss − 12. */
  mss: number;
  timestamps?: boolean;
  family: KernelFamily;
  rmemMax?: number;
  tcpRmem?: readonly [number, number, number];
  advWinScale?: number;
  /** skb->truesize of one full-sized received segment (default: skbTruesize(mss + 40)). */
  truesize?: number;
}

export interface RcvbufWindow {
  family: KernelFamily;
  requested: number | undefined;
  rmemMax: number;
  /** The request was capped: the kernel used rmem_max instead (SO_RCVBUFFORCE skips the cap). */
  exceedsRmemMax: boolean;
  /** sk_rcvbuf, what `ss -m` shows as rb. */
  rcvbufEffective: number;
  /** SOCK_RCVBUF_LOCK set: autotuning off. */
  locked: boolean;
  /** tcp_full_space(): the window the whole buffer is worth. */
  fullSpace: number;
  /** Effective segment size the window is rounded to (MSS, or MSS − 12 with timestamps). */
  segment: number;
  /** Window in the SYN-ACK (never scaled). */
  windowSyn: number;
  /** Window once data flows (what limits a bulk transfer). */
  windowSteady: number;
  /** The window scale this socket announces. */
  wscale: number;
  /**
   * Bytes per segment the sender actually sends: `segment`, or half the SYN-ACK window when that is
   * smaller (tcp_bound_to_half_wnd: SO_RCVBUF 1024 with MSS 1448 makes the sender use 576).
   */
  sendSegment: number;
  /** 6.10+: the scaling_ratio the receiver measures from its segments (len × 256 / truesize). */
  scalingRatio?: number;
  /** 6.10+: skb->truesize assumed for one received segment. */
  truesize?: number;
  /** One line per step, for people to check by hand. */
  steps: string[];
}

/**
 * SO_RCVBUF → (sk_rcvbuf, SYN-ACK window, steady window, wscale), following
 * sock_setsockopt, tcp_select_initial_window and __tcp_select_window.
 */
export function rcvbufToWindow(input: RcvbufWindowInput): RcvbufWindow {
  const { family, requested } = input;
  const rmemMax = input.rmemMax ?? DEFAULT_RMEM_MAX;
  const tcpRmem = input.tcpRmem ?? DEFAULT_TCP_RMEM;
  const adv = input.advWinScale ?? 1;
  const segment = input.timestamps ? input.mss - 12 : input.mss;
  const locked = requested !== undefined;
  const steps: string[] = [];
  const rule = family === "pre-6.6" ? `space − (space >> ${adv})` : `space × ${initialScalingRatio(family)}/256`;

  let rcvbufEffective: number;
  let exceeds = false;
  if (locked) {
    exceeds = requested > rmemMax;
    rcvbufEffective = effectiveRcvbuf(requested, rmemMax);
    steps.push(
      `SO_RCVBUF ${requested} → sk_rcvbuf = max(2 × min(${requested}, rmem_max ${rmemMax}), ${SOCK_MIN_RCVBUF}) = ${rcvbufEffective}` +
        (exceeds ? ` (capped by rmem_max: ${requested} > ${rmemMax})` : ""),
    );
  } else {
    rcvbufEffective = tcpRmem[1];
    steps.push(`no SO_RCVBUF → sk_rcvbuf starts at tcp_rmem[1] = ${rcvbufEffective}, autotuning up to tcp_rmem[2] = ${tcpRmem[2]}`);
  }

  const fullSpace = winFromSpace(rcvbufEffective, family, adv);
  steps.push(`full space (${family}: ${rule}) = ${fullSpace}`);

  // tcp_select_initial_window: a locked socket clamps to the full space; space is rounded down
  // to a multiple of the MSS when larger than it; the SYN window is never scaled (≤ 65535).
  let space = fullSpace;
  if (space > segment) space = Math.floor(space / segment) * segment;
  const windowSyn = Math.min(space, U16_MAX);
  steps.push(`SYN-ACK window = rounddown(${fullSpace}, ${segment})${fullSpace > U16_MAX ? ", max 65535" : ""} = ${windowSyn}`);

  const wsSpace = locked ? fullSpace : Math.min(Math.max(fullSpace, tcpRmem[2], rmemMax), U16_MAX << TCP_MAX_WSCALE);
  const wscale = Math.min(Math.max(Math.floor(Math.log2(Math.max(wsSpace, 1))) - 15, 0), TCP_MAX_WSCALE);

  let windowSteady: number;
  let sendSegment = segment;
  let scalingRatio: number | undefined;
  let truesizeUsed: number | undefined;
  if (!locked) {
    // Autotuning (tcp_rcv_space_adjust) grows sk_rcvbuf toward tcp_rmem[2] as the reader keeps up.
    windowSteady = winFromSpace(tcpRmem[2], family, adv);
    steps.push(`steady window grows with autotuning up to ${rule.replace("space", String(tcpRmem[2]))} = ${windowSteady}`);
  } else if (family === "pre-6.6") {
    // Evidence: the incident's capture (a pre-6.6 kernel) shows 1148 = 2 × MSS for the whole
    // transfer, i.e. __tcp_select_window kept the SYN window while the reader kept up.
    windowSteady = windowSyn;
    steps.push(`steady window = SYN-ACK window ${windowSyn} (pre-6.6 keeps it while the reader keeps up, as the incident capture shows)`);
  } else if (family === "6.6-6.9") {
    // Not measured here: keep the conservative reading (one segment queued when an ACK is computed).
    const queued = segment + SKB_STRUCT + SKB_SHINFO;
    const free = winFromSpace(Math.max(rcvbufEffective - queued, 0), family, adv);
    const rounded = Math.floor(free / segment) * segment;
    windowSteady = Math.max(Math.min(rounded, windowSyn), Math.min(segment, windowSyn));
    steps.push(`steady window: rounddown(${rule.replace("space", `(${rcvbufEffective} − ${queued})`)}, ${segment}) = ${windowSteady}`);
  } else {
    // 6.10+, locked buffer. Derived from tcp_measure_rcv_mss / tcp_grow_window / __tcp_select_window
    // and fitted to windows measured on 6.18 through the lab link (see the lab notes):
    //  1. the sender's segment is bounded by half the SYN-ACK window (tcp_bound_to_half_wnd);
    //  2. the receiver re-measures scaling_ratio = len × 256 / truesize from arriving segments
    //     (574 B in a 1280 B skb → 114, not the initial 128), so window_clamp = rcvbuf × ratio / 256;
    //  3. rcv_ssthresh starts at the SYN-ACK window and grows by 2 × MSS per segment only while it is
    //     below the free space left with the arriving segment and one more still unread queued;
    //  4. the advertised window is min(clamp, rcv_ssthresh) rounded down to the segment (wscale 0).
    const seg = boundToHalfWindow(segment, windowSyn);
    sendSegment = seg;
    if (seg < segment) steps.push(`sender's segment = half the SYN-ACK window (tcp_bound_to_half_wnd) = ${seg}`);
    const ts = input.timestamps ? 12 : 0;
    const truesize = input.truesize !== undefined && seg === segment ? input.truesize : skbTruesize(seg + 40 + ts);
    const ratio = Math.max(1, Math.floor((seg * RATIO_ONE) / truesize));
    const clamp = Math.floor((rcvbufEffective * ratio) / RATIO_ONE);
    let ssthresh = windowSyn;
    const freeWithTwoQueued = Math.floor((Math.max(rcvbufEffective - 2 * truesize, 0) * ratio) / RATIO_ONE);
    for (let i = 0; i < 10_000 && ssthresh < clamp && ssthresh < freeWithTwoQueued; i++) ssthresh += Math.min(clamp - ssthresh, 2 * seg);
    const rounded = Math.floor(Math.min(clamp, ssthresh) / seg) * seg;
    windowSteady = Math.max(rounded, Math.min(seg, windowSyn));
    scalingRatio = ratio;
    truesizeUsed = truesize;
    steps.push(
      `each ${seg}-byte segment is charged truesize ${truesize} B → scaling_ratio = ${seg}×256/${truesize} = ${ratio}; ` +
        `window_clamp = ${rcvbufEffective} × ${ratio}/256 = ${clamp}`,
    );
    steps.push(
      `rcv_ssthresh from the SYN-ACK window ${windowSyn}` +
        (ssthresh > windowSyn ? `, grown while below the free space with two segments queued (${freeWithTwoQueued}), to ${ssthresh}` : "") +
        ` → steady window = rounddown(min(${clamp}, ${ssthresh}), ${seg}) = ${windowSteady}`,
    );
  }

  return {
    family,
    requested,
    rmemMax,
    exceedsRmemMax: exceeds,
    rcvbufEffective,
    locked,
    fullSpace,
    segment,
    windowSyn,
    windowSteady,
    wscale,
    sendSegment,
    ...(scalingRatio !== undefined ? { scalingRatio, truesize: truesizeUsed } : {}),
    steps,
  };
}
