/**
 * @module lab
 * Experiments that produce evidence: sockets tuned before the handshake, the bulk-transfer
 * harness (`lab serve` / `lab send`), the TUN link emulator (`lab link`) and the model-vs-reality
 * grid (`lab validate`). Needs Linux; `lab link` and `lab validate` need root.
 */
export { listenTuned, listenTunedFd, connectTuned, connectTunedFd, tuningReport, socketFd, ConnectError } from "./tuned-socket.js";
export type { SocketTuning, TuningReport, TunedListener, TunedListenFd, TunedFd, TunedConnection } from "./tuned-socket.js";
export { BulkServer } from "./bulk/server.js";
export type { ServeOptions, ServerEvents, ServerTransfer } from "./bulk/server.js";
export { sendTransfer, predict, TransferError } from "./bulk/sender.js";
export type { SendOptions, TransferResult, SenderKernelView } from "./bulk/sender.js";
export type { ServerReport } from "./bulk/protocol.js";
export { LabLink, LabPermissionError, sweepLeftovers, checkLabPrivileges, LAB_ADDR_A, LAB_ADDR_B } from "./link/link.js";
export type { LinkOptions, LinkInfo } from "./link/link.js";
export type { ForwarderStats } from "./link/forwarder.js";
export type { DirectionStats } from "./link/forwarder-types.js";
export { summarizeLateness, latenessWarning, LATENESS_WARN_SHARE, LATENESS_WARN_FLOOR_US } from "./link/lateness.js";
export type { LatenessSummary, DirectionLateness } from "./link/lateness.js";
export { runSession, guardLink } from "./link/session.js";
export { runValidate, runCell, iperf3RttCheck, gridCells, FULL_GRID, QUICK_CELLS, INCIDENT_BYTES } from "./validate.js";
export type { GridCell, CellResult, ValidateOptions, RttCheck } from "./validate.js";
export { startNameServer, runBroker, NameServerError, BrokerError, BROKER_CHANNEL_EXPIRED_MS } from "./rocketmq/index.js";
export type { NameServerOptions, NameServerHandle, NameServerExchange, NameServerSettings, BrokerOptions, BrokerRun, RegistrationResult } from "./rocketmq/index.js";
