/**
 * @module report/sockets-sockopt
 * `tcpwin sockets --pid N --getsockopt`: each socket of the process with the options read from
 * inside it (kernel/pidfd), next to what sock_diag shows. SO_RCVBUF read back is sk_rcvbuf (the
 * doubled value ss shows as rb), so "requested ≈ SO_RCVBUF / 2".
 */
import { readRemoteSockopts, type RemoteSockopts } from "../kernel/pidfd.js";
import { socketFdsOf } from "../kernel/proc-fd.js";
import type { LiveSocket } from "../kernel/sockets.js";
import { formatEndpoint } from "../kernel/netlink.js";
import { stateName, type Paint } from "./sockets.js";
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
