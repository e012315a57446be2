/**
 * @module uapi/tcp-states
 * TCP states by number (include/net/tcp_states.h), named as ss prints them, and the socket-address
 * facts every layer prints (family numbers, "addr:port" text). Pure data and formatting: report/
 * and diagnose/ use these without touching kernel/.
 */

export const AF_INET = 2;
export const AF_INET6 = 10;

export const TCP_STATE_NAMES = [
  "UNKNOWN",
  "ESTAB",
  "SYN-SENT",
  "SYN-RECV",
  "FIN-WAIT-1",
  "FIN-WAIT-2",
  "TIME-WAIT",
  "UNCONN",
  "CLOSE-WAIT",
  "LAST-ACK",
  "LISTEN",
  "CLOSING",
  "NEW-SYN-RECV",
] as const;
export type TcpStateName = (typeof TCP_STATE_NAMES)[number];

export const TCP_LISTEN = 10;

export function stateName(n: number): string {
  return TCP_STATE_NAMES[n] ?? `STATE-${n}`;
}

/** "addr:port" as ss prints it: IPv6 in brackets. */
export function formatEndpoint(family: number, addr: string, port: number): string {
  return family === AF_INET6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}
