/**
 * Parse `ss -tinmH[p][a]` output (iproute2) into plain records, for checking tcpwin against it.
 * ss prints one line per socket, then a tab-indented line of details; we read the fields the
 * tests compare (rb, tb, mss, cwnd, snd_wnd, wscale, rwnd_limited, busy, pid).
 */
export interface SsSocket {
  state: string;
  local: string;
  peer: string;
  pids: number[];
  comm?: string;
  rb?: number;
  tb?: number;
  mss?: number;
  rcvmss?: number;
  advmss?: number;
  cwnd?: number;
  snd_wnd?: number;
  wscale?: [number, number];
  busy_ms?: number;
  rwnd_limited_ms?: number;
  sndbuf_limited_ms?: number;
  raw: string;
}

/** "0.0.0.0:*" → "0.0.0.0:0"; "[::ffff:1.2.3.4]:5" kept; "*:80" → "0.0.0.0:80"? (ss prints that for v6 any). */
function normEp(t: string): string {
  return t.endsWith(":*") ? t.slice(0, -1) + "0" : t;
}

export function parseSs(text: string): SsSocket[] {
  const out: SsSocket[] = [];
  let cur: SsSocket | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("\t") || line.startsWith(" ")) {
      if (cur) detail(cur, line);
      continue;
    }
    const f = line.trim().split(/\s+/);
    cur = { state: f[0]!, local: normEp(f[3]!), peer: normEp(f[4]!), pids: [], raw: line };
    const users = /users:\((.*)\)/.exec(line);
    if (users) {
      for (const m of users[1]!.matchAll(/"([^"]*)",pid=(\d+),fd=\d+/g)) {
        if (!cur.pids.includes(Number(m[2]))) cur.pids.push(Number(m[2]));
        cur.comm ??= m[1];
      }
    }
    // Some ss versions put the details on the same line.
    detail(cur, line.split(/\s+/).slice(5).join(" "));
    out.push(cur);
  }
  return out;
}

function detail(s: SsSocket, line: string): void {
  s.raw += "\n" + line;
  const num = (re: RegExp) => {
    const m = re.exec(line);
    return m ? Number(m[1]) : undefined;
  };
  const sk = /skmem:\(([^)]*)\)/.exec(line);
  if (sk) {
    for (const part of sk[1]!.split(",")) {
      const m = /^([a-z]+)(\d+)$/.exec(part);
      if (!m) continue;
      if (m[1] === "rb") s.rb = Number(m[2]);
      if (m[1] === "tb") s.tb = Number(m[2]);
    }
  }
  s.mss ??= num(/\bmss:(\d+)/);
  s.rcvmss ??= num(/\brcvmss:(\d+)/);
  s.advmss ??= num(/\badvmss:(\d+)/);
  s.cwnd ??= num(/\bcwnd:(\d+)/);
  s.snd_wnd ??= num(/\bsnd_wnd:(\d+)/);
  s.busy_ms ??= num(/\bbusy:(\d+)ms/);
  s.rwnd_limited_ms ??= num(/\brwnd_limited:(\d+)ms/);
  s.sndbuf_limited_ms ??= num(/\bsndbuf_limited:(\d+)ms/);
  const ws = /\bwscale:(\d+),(\d+)/.exec(line);
  if (ws) s.wscale = [Number(ws[1]), Number(ws[2])];
}
