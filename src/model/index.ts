/**
 * @module model
 * Pure transfer-time arithmetic: forward (how long), inverse (what buffer for a deadline), and
 * Linux's SO_RCVBUF → window rules. No I/O: callers pass in what they read from the machine.
 */
export * from "./units.js";
export * from "./linux-window.js";
export * from "./transfer.js";
export * from "./inverse.js";
export * from "./model.js";
