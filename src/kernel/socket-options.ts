/**
 * @module kernel/socket-options
 * `tcpwin sockets --pid N --getsockopt`: the options of each socket of the process, read from inside
 * it (kernel/pidfd: pidfd_getfd), next to what sock_diag shows. SO_RCVBUF read back is sk_rcvbuf
 * (the doubled value ss shows as rb), so "requested ≈ SO_RCVBUF / 2". report/sockets-sockopt prints
 * the rows.
 */
import { readRemoteSockopts, type RemoteSockopts } from "./pidfd.js";
import { socketFdsOf } from "./proc-fd.js";
import type { LiveSocket } from "./sockets.js";
import { formatEndpoint, stateName } from "../uapi/tcp-states.js";
import { TcpwinError } from "../errors.js";

export interface SockoptRow {
  fd: number;
  inode: number;
  state: string;
  local: string;
  peer: string;
  rb?: number;
  tb?: number;
  so_rcvbuf?: number;
  so_sndbuf?: number;
  tcp_maxseg?: number;
  tcp_window_clamp?: number;
  snd_mss?: number;
  rcv_mss?: number;
  snd_wnd?: number;
  rcv_wnd?: number;
  rcv_wscale?: number;
  error?: string;
}

/** Read the options of every listed socket that `pid` holds. */
export function readSocketOptions(pid: number, sockets: readonly LiveSocket[]): SockoptRow[] {
  let fds: Map<number, number>;
  try {
    fds = socketFdsOf(pid);
  } catch (e) {
    throw new TcpwinError("process_not_readable", `--getsockopt: cannot list /proc/${pid}/fd: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const wanted = sockets.filter((s) => fds.has(s.inode));
  const remote = readRemoteSockopts(
    pid,
    wanted.map((s) => fds.get(s.inode)!),
  );
  return wanted.map((s, k) => {
    const r = remote[k]!;
    const row: SockoptRow = {
      fd: r.fd,
      inode: s.inode,
      state: stateName(s.state),
      local: formatEndpoint(s.family, s.src, s.sport),
      peer: formatEndpoint(s.family, s.dst, s.dport),
    };
    if (s.skmem) {
      row.rb = s.skmem.rcvbuf;
      if (s.skmem.sndbuf !== undefined) row.tb = s.skmem.sndbuf;
    }
    if ("error" in r) row.error = r.error;
    else {
      const o = r as RemoteSockopts;
      row.so_rcvbuf = o.so_rcvbuf;
      row.so_sndbuf = o.so_sndbuf;
      row.tcp_maxseg = o.tcp_maxseg;
      row.tcp_window_clamp = o.tcp_window_clamp;
      const i = o.tcp_info;
      if (i) {
        row.snd_mss = i.snd_mss;
        row.rcv_mss = i.rcv_mss;
        if (i.snd_wnd !== undefined) row.snd_wnd = i.snd_wnd;
        if (i.rcv_wnd !== undefined) row.rcv_wnd = i.rcv_wnd;
        row.rcv_wscale = i.rcv_wscale;
      }
    }
    return row;
  });
}

