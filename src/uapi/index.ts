/**
 * @module uapi
 * Kernel ABI facts as pure data (struct layouts, state names, address text): the one place the
 * tcp_info layout is written, below every layer that reads or prints it.
 */
export * from "./tcp-info-fields.js";
export * from "./tcp-states.js";
