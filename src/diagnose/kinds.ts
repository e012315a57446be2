/**
 * @module diagnose/kinds
 * The verdict kinds, shared by capture analysis (`tcpwin analyze`) and live sampling
 * (`tcpwin watch`), so both speak one vocabulary.
 */
export const VERDICT_KINDS = [
  "receiver_window_limited",
  "sender_buffer_limited",
  "congestion_limited",
  "loss_limited",
  "application_limited",
  "healthy",
] as const;

export type VerdictKind = (typeof VERDICT_KINDS)[number];
