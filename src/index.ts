/**
 * @module tcpwin
 * The library: everything the CLI does is callable from here.
 * @example
 * import { runModel } from "tcpwin";
 * runModel({ sizeBytes: 2079208, rttSec: 0.00166, mss: 574, rcvbuf: 1024, kernel: { major: 6, minor: 18 } });
 */
export * from "./errors.js";
export * from "./model/index.js";
export * from "./capture/index.js";
export * from "./tcp/index.js";
export * from "./protocols/index.js";
export * from "./diagnose/index.js";
