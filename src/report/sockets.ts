/**
 * @module report/sockets
 * `tcpwin sockets` output: the JSON object per socket (keys are the kernel's names: tcp_info
 * without `tcpi_`, plus state/local/peer/inode/uid/rb/tb and pid/comm when known) and the text
 * table. A tcp_info field the kernel did not send is omitted from JSON and shown as "-", never 0.
 */
import type { LiveSocket, OwnerStats } from "../kernel/sockets.js";
import type { TcpInfo } from "../kernel/tcp-info.js";
import { formatEndpoint, stateName } from "../uapi/tcp-states.js";
import { TCPI_OPT, TCP_INFO_MAX_LEN } from "../uapi/tcp-info-fields.js";
import { tcpInfoJsonText } from "./sockets-json-tcp-info.gen.js";
import { liveSocketFlags, type LiveFlag, type LiveSocketFacts, type MachineLimits } from "../diagnose/live-flags.js";

/** The colour functions a renderer needs (cli/style provides them; report does not import cli). */
export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  green(s: string): string;
}

export interface SocketJson {
  state: string;
  local: string;
  peer: string;
  pid?: number;
  pids?: number[];
  comm?: string;
  /** true when owners were looked up, the socket has an inode, and its process was unreadable. */
  owner_unknown?: boolean;
  inode: number;
  uid: number;
  rb?: number;
  tb?: number;
  [k: string]: unknown;
}

export { stateName };

/** The facts policy needs, from a live socket. */
export function socketFacts(s: LiveSocket): LiveSocketFacts {
  const i = s.info;
  return {
    state: stateName(s.state),
    rb: s.skmem?.rcvbuf,
    tb: s.skmem?.sndbuf,
    snd_mss: i?.snd_mss,
    rcv_mss: i?.rcv_mss,
    advmss: i?.advmss,
    rtt: i?.rtt,
    snd_wnd: i?.snd_wnd,
    rcv_wnd: i?.rcv_wnd,
    rcv_wscale: i?.rcv_wscale,
    snd_wscale: i?.snd_wscale,
    wscale_ok: i ? (i.options & TCPI_OPT.WSCALE) !== 0 : undefined,
    timestamps: i ? (i.options & TCPI_OPT.TIMESTAMPS) !== 0 : undefined,
    rqueue: s.rqueue,
    drops: s.skmem?.drops,
  };
}

export { peersHere, peerHereFacts } from "../diagnose/live-deltas.js";
import { peersHere, peerHereFacts } from "../diagnose/live-deltas.js";

/**
 * One socket as JSON. `ownersKnown`: owners were looked up, so a missing pid means either "no
 * process" (inode 0) or "a process we could not read" (owner_unknown, when any was unreadable).
 */
export function socketJson(s: LiveSocket, flags: LiveFlag[] | undefined, owners: OwnerStats | undefined): SocketJson {
  const o: SocketJson = {
    state: stateName(s.state),
    local: formatEndpoint(s.family, s.src, s.sport),
    peer: formatEndpoint(s.family, s.dst, s.dport),
    inode: s.inode,
    uid: s.uid,
  };
  if (s.pid !== undefined) {
    o.pid = s.pid;
    if (s.pids) o.pids = s.pids;
    if (s.comm !== undefined) o.comm = s.comm;
  } else if (owners && s.inode !== 0 && owners.unreadable > 0) {
    o.owner_unknown = true;
  }
  if (s.skmem) {
    o.rb = s.skmem.rcvbuf;
    if (s.skmem.sndbuf !== undefined) o.tb = s.skmem.sndbuf;
  }
  const i = s.info;
  if (i) copyTcpInfo(i, o);
  if (s.cong !== undefined) o.cong = s.cong;
  if (s.shutdown !== undefined) o.shutdown = s.shutdown;
  o.rqueue = s.rqueue;
  o.wqueue = s.wqueue;
  o.timer = s.timer;
  o.retrans_timer_count = s.retrans;
  o.cookie = s.cookie;
  if (s.skmem) o.skmem = s.skmem;
  if (flags && flags.length) o.flags = flags;
  return o;
}

function copyTcpInfo(i: TcpInfo, o: SocketJson): void {
  for (const k in i) {
    if (k === "length" || k === "state") continue;
    o[k] = i[k as keyof TcpInfo];
  }
  o.tcp_info_len = i.length;
}

/**
 * The same text as `JSON.stringify(socketJson(s, flags, owners))`, built by concatenation: at
 * 100 k sockets generic stringify of ~90-key objects is most of the run time. A 6.18-sized
 * tcp_info (all fields present) takes the generated template (tcpInfoJsonText); anything else goes the generic way.
 */
export function socketJsonText(s: LiveSocket, flags: LiveFlag[] | undefined, owners: OwnerStats | undefined): string {
  const i = s.info;
  if (i === undefined || i.length < TCP_INFO_MAX_LEN) return JSON.stringify(socketJson(s, flags, owners));
  let head = `{"state":"${stateName(s.state)}","local":"${formatEndpoint(s.family, s.src, s.sport)}","peer":"${formatEndpoint(s.family, s.dst, s.dport)}","inode":${s.inode},"uid":${s.uid}`;
  if (s.pid !== undefined) {
    head += `,"pid":${s.pid}`;
    if (s.pids) head += `,"pids":${JSON.stringify(s.pids)}`;
    if (s.comm !== undefined) head += `,"comm":${JSON.stringify(s.comm)}`;
  } else if (owners && s.inode !== 0 && owners.unreadable > 0) head += `,"owner_unknown":true`;
  const m = s.skmem;
  if (m) {
    head += `,"rb":${m.rcvbuf}`;
    if (m.sndbuf !== undefined) head += `,"tb":${m.sndbuf}`;
  }
  let tail = `,"tcp_info_len":${i.length}`;
  if (s.cong !== undefined) tail += `,"cong":${JSON.stringify(s.cong)}`;
  if (s.shutdown !== undefined) tail += `,"shutdown":${s.shutdown}`;
  tail += `,"rqueue":${s.rqueue},"wqueue":${s.wqueue},"timer":${s.timer},"retrans_timer_count":${s.retrans},"cookie":${s.cookie}`;
  if (m) tail += `,"skmem":${JSON.stringify(m)}`;
  if (flags && flags.length) tail += `,"flags":${JSON.stringify(flags)}`;
  return head + tcpInfoJsonText(i) + tail + "}";
}

// --- text ----------------------------------------------------------------------------------

const COLS = ["State", "Local", "Peer", "Process", "rb", "tb", "MSS", "RTT", "cwnd", "snd_wnd", "rcv_wnd", "wscale", "unacked", "notsent", "busy", "rwnd%", "sndbuf%", "rate"] as const;

const dash = "-";
const num = (v: number | undefined): string => (v === undefined ? dash : String(v));

function ms(us: number | undefined): string {
  if (us === undefined) return dash;
  return us >= 1e6 ? `${(us / 1e6).toFixed(2)}s` : `${(us / 1000).toFixed(us >= 10_000 ? 0 : 2)}ms`;
}

function pct(part: number | undefined, whole: number | undefined): string {
  if (part === undefined || whole === undefined) return dash;
  if (whole === 0) return part === 0 ? "0" : dash;
  return `${Math.round((part / whole) * 100)}`;
}

function rate(bps: number | undefined): string {
  if (bps === undefined) return dash;
  const bits = bps * 8;
  if (bits >= 1e9) return `${(bits / 1e9).toFixed(1)}Gbps`;
  if (bits >= 1e6) return `${(bits / 1e6).toFixed(1)}Mbps`;
  if (bits >= 1e3) return `${(bits / 1e3).toFixed(0)}kbps`;
  return `${bits}bps`;
}

function processCell(s: LiveSocket, owners: OwnerStats | undefined): string {
  if (!owners) return "";
  if (s.pid !== undefined) return `${s.pid}/${s.comm ?? "?"}${s.pids && s.pids.length > 1 ? `+${s.pids.length - 1}` : ""}`;
  if (s.inode === 0) return dash;
  return owners.unreadable > 0 ? "unknown" : dash;
}

/** One row of cells per socket (no flags). */
export function socketRow(s: LiveSocket, owners: OwnerStats | undefined): string[] {
  const i = s.info;
  const listen = s.state === 10;
  return [
    stateName(s.state),
    formatEndpoint(s.family, s.src, s.sport),
    formatEndpoint(s.family, s.dst, s.dport),
    processCell(s, owners),
    num(s.skmem?.rcvbuf),
    num(s.skmem?.sndbuf),
    listen ? dash : num(i?.snd_mss),
    listen || !i ? dash : ms(i.rtt),
    listen ? dash : num(i?.snd_cwnd),
    listen ? dash : num(i?.snd_wnd),
    listen ? dash : num(i?.rcv_wnd),
    !i || listen ? dash : (i.options & TCPI_OPT.WSCALE) !== 0 ? `${i.snd_wscale},${i.rcv_wscale}` : "off",
    listen ? dash : num(i?.unacked),
    listen ? dash : num(i?.notsent_bytes),
    listen ? dash : ms(i?.busy_time),
    listen ? dash : pct(i?.rwnd_limited, i?.busy_time),
    listen ? dash : pct(i?.sndbuf_limited, i?.busy_time),
    listen ? dash : rate(i?.delivery_rate),
  ];
}

export interface SocketsTextInput {
  sockets: LiveSocket[];
  owners?: OwnerStats | undefined;
  machine: MachineLimits;
  decodeErrors: number;
}

/** The whole table, flags under their socket, and a footer on owners that could not be read. */
export function renderSocketsText(inp: SocketsTextInput, st: Paint): string {
  const showProc = inp.owners !== undefined;
  const cols = COLS.filter((c) => showProc || c !== "Process");
  const rows: string[][] = [];
  const notes: LiveFlag[][] = [];
  // A listener's tcp_info has no MSS: borrow it from a connection it accepted (same local end).
  const acceptedMss = new Map<string, number>();
  for (const s of inp.sockets) {
    if (s.state === 1 && s.info && s.info.advmss > 0) acceptedMss.set(`${s.family} ${s.src} ${s.sport}`, s.info.advmss);
  }
  const peers = peersHere(inp.sockets);
  for (const s of inp.sockets) {
    const r = socketRow(s, inp.owners);
    rows.push(showProc ? r : r.filter((_, k) => k !== 3));
    const facts = socketFacts(s);
    const peer = peers.get(s.cookie);
    if (peer !== undefined) facts.peer_here = peerHereFacts(peer);
    if (s.state === 10) facts.advmss = acceptedMss.get(`${s.family} ${s.src} ${s.sport}`) ?? acceptedMss.get(`${s.family} 127.0.0.1 ${s.sport}`) ?? facts.advmss;
    notes.push(liveSocketFlags(facts, inp.machine));
  }
  const widths = cols.map((c, k) => Math.max(c.length, ...rows.map((r) => r[k]!.length)));
  const right = (k: number) => k >= (showProc ? 4 : 3);
  const line = (cells: readonly string[]) => cells.map((c, k) => (right(k) ? c.padStart(widths[k]!) : c.padEnd(widths[k]!))).join("  ").trimEnd();
  const out: string[] = [st.bold(line(cols))];
  rows.forEach((r, k) => {
    out.push(line(r));
    for (const f of notes[k]!) out.push(`    ${f.severity === "warning" ? st.yellow("! " + f.message) : st.dim("· " + f.message)}`);
  });
  out.push("");
  out.push(
    st.dim(
      `${inp.sockets.length} socket(s). rb/tb: the receive/send buffer now — SO_RCVBUF/SO_SNDBUF doubled by the kernel when set, else autotuned, ` +
        `able to grow to tcp_rmem[2]/tcp_wmem[2] (the ceiling the flags use). busy, rwnd%, sndbuf%: time sending, and the share of it limited by the peer's window / our send buffer.`,
    ),
  );
  if (inp.owners && inp.owners.unreadable > 0) {
    out.push(
      st.yellow(
        `${inp.owners.unreadable} of ${inp.owners.processes} process(es) could not be read (no permission): their sockets show "unknown" as process. Run as root to see them.`,
      ),
    );
  }
  if (inp.decodeErrors > 0) out.push(st.yellow(`${inp.decodeErrors} malformed reply part(s) from the kernel were skipped (see --json "errors").`));
  return out.join("\n") + "\n";
}
