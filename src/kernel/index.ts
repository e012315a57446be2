/**
 * @module kernel
 * The library face of src/kernel (`import { listTcpSockets } from "tcpwin/kernel"`): live TCP
 * sockets through sock_diag, tcp_info decoding, socket options (also of another process, via
 * pidfd_getfd), and strace-based tracing of who set a buffer. Kept out of the root entry so that
 * `import "tcpwin"` never loads the FFI.
 */
export * from "./sockets.js";
export * from "./sock-diag.js";
export * from "./tcp-info.js";
export * from "./sockopt.js";
export * from "./pidfd.js";
export * from "./trace.js";
export * from "./sampler.js";
export * from "./sock-destroy.js";
export * from "./owner-cache.js";
export * from "./socket-options.js";
