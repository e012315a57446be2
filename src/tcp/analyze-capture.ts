/**
 * @module tcp/analyze-capture
 * `analyzeCapture(path | "-")`: read a capture with capture/'s streaming readers, decode every
 * record, run the TCP analysis, return per-connection evidence plus what went wrong reading.
 * Synchronous; memory is bounded by the reader's buffer plus per-connection state.
 *
 * Big regular files on a machine with a second CPU are read and decoded on a worker thread
 * (capture/decoded-ring) so reading overlaps the analysis; results are the same either way
 * (TCPWIN_READ_WORKER=0 or 1 forces the choice; `readWorker` in the options too).
 *
 * Filters (`stream`, `port`, `host`) choose which connections are reported and which packets reach
 * `onPacket`; every packet is still analysed, because stream numbers depend on all of them.
 */
import { decodeTcpPacket, DecodeResult, ipv4ToString, ipv6ToString } from "../capture/decode.js";
import { canonicalIp } from "../capture/ip-text.js";
import { DecodedRing, readWorkerWanted } from "../capture/decoded-ring.js";
import { openCapture } from "../capture/open.js";
import { PacketRef, TcpPacket } from "../capture/packet.js";
import type { CaptureDrops, CaptureWarning } from "../capture/reader-types.js";
import { TcpAnalyzer } from "./analyzer.js";
import type { Conversation } from "./conversation.js";
import type { ConnectionEvidence } from "./evidence.js";
import { packetFields, type PacketFields } from "./packet-fields.js";
import type { SeriesCollector } from "./series.js";
import type { StreamFactory } from "./stream.js";
import type { StreamFailure } from "./stream-assembler.js";

export interface AnalyzeOptions {
  /** Only this tcp.stream. */
  stream?: number | undefined;
  /** Only connections with this port on either side. */
  port?: number | undefined;
  /** Only connections with this address on either side (as printed: dotted quad or RFC 5952). */
  host?: string | undefined;
  /** Called for each TCP packet of a selected connection, with tshark-named fields. */
  onPacket?: ((fields: PacketFields) => void) | undefined;
  /**
   * Called every 16384 records and at the end with the file bytes consumed so far. `totalBytes`
   * is 0 when unknown (tcp/ does not stat files; the caller knows the size if it wants a percentage).
   */
  onProgress?: ((bytesRead: number, totalBytes: number) => void) | undefined;
  /** Read and decode on a worker thread: default for regular files ≥ 32 MB with ≥ 2 CPUs. */
  readWorker?: boolean | undefined;
  /**
   * A reader thread already started on `source` (capture/decoded-ring startDecodedRing), so its
   * start-up overlapped the caller's; used instead of starting one, and closed at the end.
   */
  decoded?: DecodedRing | null | undefined;
  /**
   * Time series for charts (tcp/series SeriesCollector), fed every analysed segment of the selected
   * connections; absent, nothing is collected (the plain analysis pays nothing for it).
   */
  series?: Pick<SeriesCollector, "onResult"> | undefined;
  /**
   * Application protocols to follow (tcp/stream): their results land in `ConnectionEvidence.app`.
   * The capture is then read in this thread unless a reader thread is asked for (`readWorker: true`
   * or TCPWIN_READ_WORKER=1), which then carries each segment's payload (DecodedRing payload mode);
   * a `decoded` ring started without payload is closed unused.
   */
  protocols?: readonly StreamFactory[] | undefined;
}

export interface DecodeCounts {
  notIp: number;
  notTcp: number;
  ipFragment: number;
  malformed: number;
  unsupportedLinkType: number;
  truncated: number;
}

/**
 * A warning about what the capture holds rather than how its bytes read: the file's own drop
 * counters, or connections whose payload is mostly missing. No file offset (it is about the whole).
 */
export interface AnalysisWarning {
  code: "capture_drops" | "captured_share_low" | "protocol_failed";
  message: string;
}

/** Below this share of a direction's payload in the capture, timings and limit shares may miss events. */
export const LOW_CAPTURED_SHARE = 0.9;

export interface AnalysisResult {
  connections: ConnectionEvidence[];
  /** Records read. */
  packets: number;
  /** Records that decoded as TCP segments. */
  tcpPackets: number;
  /** Reader warnings (byte offsets) in file order, then what the capture misses (drops, low captured share). */
  warnings: (CaptureWarning | AnalysisWarning)[];
  /** The problem that stopped reading, or null; everything before it was analysed. */
  error: CaptureWarning | null;
  /** Timestamp of the first record (the zero of every `*_s` field), or null for no records. */
  firstTs: { sec: number; nsec: number } | null;
  /** Seconds from the first to the last record. */
  durationS: number;
  format: "pcap" | "pcapng" | "unknown";
  /** Records that were not analysed, by reason. */
  skipped: DecodeCounts;
  /** What the file says it dropped while capturing (pcapng ISB / epb_dropcount; all null for pcap). */
  capture: CaptureDrops;
}

function selector(opts: AnalyzeOptions): ((c: Conversation) => boolean) | undefined {
  const { stream, port } = opts;
  // Compared in the one spelling (capture/ip-text): `::FFFF:10.1.2.3`, `::ffff:a01:203` and
  // `::ffff:10.1.2.3` are one address. Text that is no address is compared as given (matches nothing).
  const host = opts.host === undefined ? undefined : (canonicalIp(opts.host) ?? opts.host);
  if (stream === undefined && port === undefined && host === undefined) return undefined;
  return (c) => {
    if (stream !== undefined && c.stream !== stream) return false;
    if (port !== undefined && c.portA !== port && c.portB !== port) return false;
    if (host !== undefined) {
      const a = c.ipVersion === 4 ? ipv4ToString(c.v4a) : ipv6ToString(c.v6a);
      const b = c.ipVersion === 4 ? ipv4ToString(c.v4b) : ipv6ToString(c.v6b);
      if (a !== host && b !== host) return false;
    }
    return true;
  };
}

export function analyzeCapture(source: string, opts: AnalyzeOptions = {}): AnalysisResult {
  // Protocols need the payload. A reader thread can carry it (payload mode) but then copies every
  // segment's payload once more, which measured about as much CPU as it saves the analysis thread
  // (bench/reassembly): with protocols it runs only when asked for (`readWorker` or
  // TCPWIN_READ_WORKER=1); one started without payload is given up for reading in this thread.
  const payload = opts.protocols !== undefined && opts.protocols.length > 0;
  if (opts.decoded && payload && !opts.decoded.payload) opts.decoded.close();
  else if (opts.decoded) return analyzeDecoded(opts.decoded, opts);
  const env = process.env.TCPWIN_READ_WORKER;
  const force = opts.readWorker ?? (env === "1" ? true : env === "0" ? false : undefined);
  if (payload ? force === true : readWorkerWanted(source, opts.readWorker)) return analyzeDecoded(new DecodedRing(source, { payload }), opts);
  const reader = openCapture(source);
  const analyzer = newAnalyzer(opts);
  const pkt = new PacketRef();
  const seg = new TcpPacket();
  const skipped = noneSkipped();
  const progress = opts.onProgress;
  let packets = 0;
  let tcp = 0;
  let firstSec = NaN;
  let firstNsec = 0;
  let lastSec = 0;
  let lastNsec = 0;
  try {
    while (reader.next(pkt)) {
      if (packets === 0) {
        firstSec = pkt.tsSec;
        firstNsec = pkt.tsNsec;
        analyzer.setTimeBase(firstSec, firstNsec);
      }
      packets++;
      lastSec = pkt.tsSec;
      lastNsec = pkt.tsNsec;
      const rc = decodeTcpPacket(pkt, seg);
      if (rc === DecodeResult.ok) {
        tcp++;
        analyzer.onSegment(seg);
      } else if (rc === DecodeResult.notIp) skipped.notIp++;
      else if (rc === DecodeResult.notTcp) skipped.notTcp++;
      else if (rc === DecodeResult.ipFragment) skipped.ipFragment++;
      else if (rc === DecodeResult.malformed) skipped.malformed++;
      else if (rc === DecodeResult.unsupportedLinkType) skipped.unsupportedLinkType++;
      else skipped.truncated++;
      if (progress !== undefined && (packets & 0x3fff) === 0) progress(reader.stats.bytesRead, 0);
    }
  } finally {
    reader.close();
  }
  if (progress !== undefined) progress(reader.stats.bytesRead, 0);
  const connections = analyzer.finish();
  const drops = reader.drops();
  return {
    connections,
    packets,
    tcpPackets: tcp,
    warnings: [...reader.warnings, ...coverageWarnings(drops, connections), ...protocolWarnings(analyzer.protocolFailures)],
    error: reader.error,
    firstTs: packets > 0 ? { sec: firstSec, nsec: firstNsec } : null,
    durationS: packets > 0 ? lastSec - firstSec + (lastNsec - firstNsec) / 1e9 : 0,
    format: reader.format,
    skipped,
    capture: drops,
  };
}

/**
 * Protocol handlers that threw (tcp/stream-assembler released them; the TCP analysis went on): one
 * warning per protocol, with how many connections and the first failure's place and message.
 */
export function protocolWarnings(failures: readonly StreamFailure[]): AnalysisWarning[] {
  const by = new Map<string, { first: StreamFailure; streams: Set<number> }>();
  for (const f of failures) {
    const g = by.get(f.protocol);
    if (g) g.streams.add(f.stream ?? -1);
    else by.set(f.protocol, { first: f, streams: new Set([f.stream ?? -1]) });
  }
  return [...by].map(([name, { first: f, streams }]) => ({
    code: "protocol_failed" as const,
    message:
      `the ${name} decoder failed on ${streams.size === 1 ? "a connection" : `${streams.size} connections`} and stopped following ${streams.size === 1 ? "it" : "them"} ` +
      `(first: stream ${f.stream}, ${f.call}${f.offset >= 0 ? ` at ${f.dir === 0 ? "c2s" : "s2c"} byte ${f.offset}` : ""}: ${f.message}); the TCP analysis is complete`,
  }));
}

const SOURCE_WORDS = { interface_statistics: "interface stats", packet_blocks: "packet block drop counts" } as const;

/**
 * What the analysis may have missed: the capture's own drop count (a file that says it lost packets
 * must not come with `warnings: []`), and directions of which under LOW_CAPTURED_SHARE of the
 * payload is in the capture (sequence gaps: drops the file did not count, or a filter).
 */
export function coverageWarnings(drops: CaptureDrops, connections: readonly ConnectionEvidence[]): AnalysisWarning[] {
  const out: AnalysisWarning[] = [];
  if (drops.dropped !== null && drops.dropped > 0 && drops.source !== null) {
    out.push({
      code: "capture_drops",
      message: `the capture says ${drops.dropped} packets were dropped (${SOURCE_WORDS[drops.source]}): timings and shares may miss events`,
    });
  }
  let low = 0;
  let worst: { share: number; text: string } | null = null;
  for (const c of connections) {
    for (const d of [c.c2s, c.s2c]) {
      if (d.bytes <= 0) continue;
      const share = Math.min(1, d.bytes_sent / d.bytes);
      if (share >= LOW_CAPTURED_SHARE) continue;
      low++;
      if (worst === null || share < worst.share) {
        worst = { share, text: `stream ${c.stream} ${d.sender.addr}:${d.sender.port} → ${d.receiver.addr}:${d.receiver.port} has ${Math.round(share * 100)} % of its ${d.bytes} payload bytes` };
      }
    }
  }
  if (worst !== null) {
    out.push({
      code: "captured_share_low",
      message: `${low === 1 ? "a direction" : `${low} directions`} of data ${low === 1 ? "is" : "are"} under ${LOW_CAPTURED_SHARE * 100} % in the capture (${low === 1 ? "" : "lowest: "}${worst.text}): packets were missed (drops, or a capture filter); timings and shares may miss events`,
    });
  }
  return out;
}

function newAnalyzer(opts: AnalyzeOptions): TcpAnalyzer {
  const onPacket = opts.onPacket;
  const series = opts.series;
  return new TcpAnalyzer({
    onResult:
      onPacket && series
        ? (r) => (series.onResult(r), onPacket(packetFields(r)))
        : onPacket
          ? (r) => onPacket(packetFields(r))
          : series
            ? (r) => series.onResult(r)
            : undefined,
    select: selector(opts),
    ...(opts.protocols ? { protocols: opts.protocols } : {}),
  });
}

function noneSkipped(): DecodeCounts {
  return { notIp: 0, notTcp: 0, ipFragment: 0, malformed: 0, unsupportedLinkType: 0, truncated: 0 };
}

/**
 * analyzeCapture with reading and decoding on a worker thread (capture/decoded-ring). Only TCP
 * segments come through the ring; the worker counts the rest and reports first/last timestamps.
 * The loop has no branch a late packet takes first (see decoded-ring): the compiled loop stays.
 */
function analyzeDecoded(ring: DecodedRing, opts: AnalyzeOptions): AnalysisResult {
  const analyzer = newAnalyzer(opts);
  const seg = new TcpPacket();
  const progress = opts.onProgress;
  let final;
  try {
    const first = ring.firstTs();
    if (first) analyzer.setTimeBase(first.sec, first.nsec);
    let tcp = 0;
    while (ring.next(seg)) {
      analyzer.onSegment(seg);
      if (progress !== undefined && (++tcp & 0x3fff) === 0) progress(ring.bytesRead, 0);
    }
    final = ring.result();
  } finally {
    ring.close();
  }
  if (progress !== undefined) progress(final.bytesRead, 0);
  const n = (rc: number) => final.byCode[rc] ?? 0;
  const packets = final.packets;
  const connections = analyzer.finish();
  return {
    connections,
    packets,
    tcpPackets: n(DecodeResult.ok),
    warnings: [...final.warnings, ...coverageWarnings(final.drops, connections), ...protocolWarnings(analyzer.protocolFailures)],
    capture: final.drops,
    error: final.error,
    firstTs: packets > 0 ? { sec: final.firstSec, nsec: final.firstNsec } : null,
    durationS: packets > 0 ? final.lastSec - final.firstSec + (final.lastNsec - final.firstNsec) / 1e9 : 0,
    format: final.format,
    skipped: {
      notIp: n(DecodeResult.notIp),
      notTcp: n(DecodeResult.notTcp),
      ipFragment: n(DecodeResult.ipFragment),
      malformed: n(DecodeResult.malformed),
      unsupportedLinkType: n(DecodeResult.unsupportedLinkType),
      // Everything else (truncated, and any code added later) as the in-thread loop counts it.
      truncated: final.byCode.reduce((a, c, rc) => (rc > DecodeResult.unsupportedLinkType ? a + c : a), 0),
    },
  };
}
