/**
 * @module diagnose/kinds
 * The verdict kinds, shared by capture analysis (`tcpwin analyze`) and live sampling
 * (`tcpwin watch`), so both speak one vocabulary. `inconclusive` is "we cannot tell" (no data,
 * too small, too little captured): never a claim of health.
 */
export const VERDICT_KINDS = [
  "receiver_window_limited",
  "sender_buffer_limited",
  "congestion_limited",
  "loss_limited",
  "application_limited",
  "sender_limited",
  "healthy",
  "inconclusive",
] as const;

export type VerdictKind = (typeof VERDICT_KINDS)[number];
