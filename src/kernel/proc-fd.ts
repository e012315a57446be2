/**
 * @module kernel/proc-fd
 * Socket → process, the way ss -p does it but cheaper: every /proc/PID/fd/N that is a socket
 * reads back as "socket:[INODE]", and INODE equals inet_diag_msg.idiag_inode. Done only when
 * asked (it costs one readlink per descriptor on the machine).
 *
 * Cost control: one readdir per process and one readlink per descriptor, a prefix check on char
 * codes (no regex) to drop non-sockets at once, and `comm` read only for the processes that own
 * a socket someone will see (`commOf`, cached). With `pids`, only those processes are walked.
 *
 * What can go wrong, and what it means:
 * - EACCES on /proc/PID/fd (another user's process without ptrace rights): counted in
 *   `unreadable`, listed in `unreadablePids`; its sockets show no owner ("unknown").
 * - ENOENT (the process or the descriptor went away during the walk): silently skipped; a
 *   socket closed between the dump and the walk simply has no owner.
 * `procRoot` exists so tests can point the walk at a directory tree they built.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface InodeOwners {
  /** inode → first pid found holding it. */
  owner: Map<number, number>;
  /** inode → further pids holding the same socket (fork, SCM_RIGHTS), when any. */
  shared: Map<number, number[]>;
  /** Processes walked. */
  processes: number;
  /** Processes whose fd table could not be read (EACCES/EPERM). */
  unreadable: number;
  unreadablePids: number[];
  /** Socket descriptors seen. */
  socketFds: number;
}

export interface WalkOptions {
  /** Walk only these processes. */
  pids?: readonly number[];
  procRoot?: string;
}

const S = "s".charCodeAt(0);
const LB = "[".charCodeAt(0);
const PREFIX = "socket:[";

/** Build inode → pid for every process (or only `pids`). Never throws for a vanished process. */
export function mapSocketInodes(opts: WalkOptions = {}): InodeOwners {
  const root = opts.procRoot ?? "/proc";
  const res: InodeOwners = { owner: new Map(), shared: new Map(), processes: 0, unreadable: 0, unreadablePids: [], socketFds: 0 };
  let pids: readonly number[];
  if (opts.pids) pids = opts.pids;
  else {
    const list: number[] = [];
    for (const name of readdirSync(root)) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue; // not a pid directory
      list.push(Number(name));
    }
    pids = list;
  }
  for (const pid of pids) walkPid(root, pid, res);
  return res;
}

function walkPid(root: string, pid: number, res: InodeOwners): void {
  const dir = `${root}/${pid}/fd`;
  let fds: string[];
  try {
    fds = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") {
      res.processes++;
      res.unreadable++;
      res.unreadablePids.push(pid);
    }
    return; // ENOENT/ESRCH: the process is gone
  }
  res.processes++;
  for (let i = 0; i < fds.length; i++) {
    let link: string;
    try {
      link = readlinkSync(`${dir}/${fds[i]}`);
    } catch {
      continue; // closed since readdir
    }
    // "socket:[12345]": check 's' and '[' before comparing the whole prefix.
    if (link.charCodeAt(0) !== S || link.charCodeAt(7) !== LB || !link.startsWith(PREFIX)) continue;
    let inode = 0;
    for (let j = 8; j < link.length - 1; j++) inode = inode * 10 + (link.charCodeAt(j) - 48);
    res.socketFds++;
    const prev = res.owner.get(inode);
    if (prev === undefined) res.owner.set(inode, pid);
    else if (prev !== pid) {
      const more = res.shared.get(inode);
      if (more === undefined) res.shared.set(inode, [pid]);
      else if (!more.includes(pid)) more.push(pid);
    }
  }
}

/** The inodes of one process's sockets (for `--pid`); undefined when it cannot be read. */
export function socketInodesOf(pid: number, procRoot = "/proc"): { inodes: Set<number>; error?: "EACCES" | "ENOENT" } {
  const r = mapSocketInodes({ pids: [pid], procRoot });
  if (r.unreadable > 0) return { inodes: new Set(), error: "EACCES" };
  if (r.processes === 0) return { inodes: new Set(), error: "ENOENT" };
  return { inodes: new Set(r.owner.keys()) };
}

const commCache = new Map<string, string | undefined>();

/** /proc/PID/comm without the newline; undefined when the process is gone or unreadable. */
export function commOf(pid: number, procRoot = "/proc"): string | undefined {
  const key = `${procRoot}/${pid}`;
  if (commCache.has(key)) return commCache.get(key);
  let c: string | undefined;
  try {
    c = readFileSync(`${key}/comm`, "utf8").replace(/\n$/, "");
  } catch {
    c = undefined;
  }
  commCache.set(key, c);
  return c;
}

/** Forget cached comm values (watch runs long; pids get reused). */
export function clearCommCache(): void {
  commCache.clear();
}

/** inode → descriptor number for one process's sockets (for pidfd_getfd); throws on EACCES/ENOENT. */
export function socketFdsOf(pid: number, procRoot = "/proc"): Map<number, number> {
  const dir = `${procRoot}/${pid}/fd`;
  const out = new Map<number, number>();
  for (const name of readdirSync(dir)) {
    let link: string;
    try {
      link = readlinkSync(`${dir}/${name}`);
    } catch {
      continue;
    }
    if (!link.startsWith(PREFIX)) continue;
    const inode = Number(link.slice(8, -1));
    if (!out.has(inode)) out.set(inode, Number(name));
  }
  return out;
}

/** Who holds a socket, asked by renderers that must not read /proc themselves (report/sockets-json). */
export interface OwnerLookup {
  /** Processes whose fd table could not be read: a socket without owner may be theirs. */
  readonly unreadable: number;
  pidOf(inode: number): number | undefined;
  /** Further processes holding the same socket, when any. */
  morePids(inode: number): readonly number[] | undefined;
  commOf(pid: number): string | undefined;
}

/** An OwnerLookup over a walk's result; `comm` read (and cached) on first ask. */
export function ownerLookup(map: InodeOwners, procRoot = "/proc"): OwnerLookup {
  return {
    unreadable: map.unreadable,
    pidOf: (inode) => map.owner.get(inode),
    morePids: (inode) => map.shared.get(inode),
    commOf: (pid) => commOf(pid, procRoot),
  };
}
