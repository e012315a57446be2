/**
 * @module report/sockets-sockopt
 * `tcpwin sockets --pid N --getsockopt` as text: the rows kernel/socket-options read from inside
 * the process, next to what sock_diag shows. Pure: renders the rows it is given.
 */
import type { SockoptRow } from "../kernel/socket-options.js";
import type { Paint } from "./sockets.js";

export type { SockoptRow };

export function renderSockoptText(pid: number, rows: SockoptRow[], st: Paint): string {
  const head = ["fd", "State", "Local", "Peer", "SO_RCVBUF", "SO_SNDBUF", "TCP_MAXSEG", "TCP_WINDOW_CLAMP", "rcv_wscale", "rcv_wnd", "snd_wnd"];
  const v = (n: number | undefined) => (n === undefined ? "-" : String(n));
  const body = rows.map((r) =>
    r.error !== undefined
      ? [String(r.fd), r.state, r.local, r.peer, `error: ${r.error}`, "", "", "", "", "", ""]
      : [String(r.fd), r.state, r.local, r.peer, v(r.so_rcvbuf), v(r.so_sndbuf), v(r.tcp_maxseg), v(r.tcp_window_clamp), v(r.rcv_wscale), v(r.rcv_wnd), v(r.snd_wnd)],
  );
  const w = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k]!.length)));
  const line = (c: string[]) => c.map((x, k) => (k >= 4 ? x.padStart(w[k]!) : x.padEnd(w[k]!))).join("  ").trimEnd();
  const out = [st.bold(`Socket options of pid ${pid}, read from inside the process (pidfd_getfd)`), st.bold(line(head)), ...body.map(line)];
  out.push("", st.dim("SO_RCVBUF/SO_SNDBUF read back are the kernel's doubled values (ss rb/tb): the program asked for about half."));
  if (rows.length === 0) out.push(st.yellow(`pid ${pid} holds no TCP socket matching the filters.`));
  return out.join("\n") + "\n";
}
