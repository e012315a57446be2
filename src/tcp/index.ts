/**
 * @module tcp
 * TCP analysis with Wireshark's semantics (per-packet expert flags, RTT, bytes in flight, scaled
 * windows — checked against tshark in test/tcp/), plus what Wireshark does not do: window scale
 * inference without a handshake and limit attribution (receiver window / congestion / application).
 * @example
 * import { analyzeCapture } from "tcpwin";
 * const r = analyzeCapture("trace.pcap", { port: 9876 });
 * for (const c of r.connections) console.log(c.stream, c.c2s.limits);
 */
export type * from "./evidence.js";
export { analyzeCapture, type AnalysisResult, type AnalyzeOptions, type DecodeCounts } from "./analyze-capture.js";
export { TcpAnalyzer, type TcpAnalyzerOptions } from "./analyzer.js";
export { Conversation } from "./conversation.js";
export { SegmentResult } from "./segment-result.js";
export { packetFields, type PacketFields } from "./packet-fields.js";
export { TcpFlag, TCP_FLAG_NAMES, tsharkFlagField, type TcpFlagName } from "./flags.js";
export { seqDiff, seqLt, seqGt, seqLe, seqGe, seqAdd, seqSub } from "./seq.js";
export { ScaleInference } from "./wscale-inference.js";
export { receiverScale } from "./evidence-builder.js";
export { SeriesCollector, SERIES_COLUMNS, SERIES_EVENT_CAP, SERIES_EVENT_KINDS, SeriesEvent, type ConnectionSeries, type DirectionSeries, type SeriesCollectorOptions, type SeriesEventKind } from "./series.js";
export { StreamClaim, UNDECIDED_MAX_BYTES, type StreamDir, type StreamInfo, type StreamHandler, type StreamFactory } from "./stream.js";
export { StreamAssembler, type StreamFailure } from "./stream-assembler.js";
export { HalfStream, MAX_HELD_BYTES, MAX_HELD_CHUNKS, type HalfStreamSink } from "./reassembly.js";
