/**
 * @module kernel/owner-cache
 * Socket → process for a long-running sampler (the exporter) without walking /proc at every sample:
 * a socket's inode keeps its owner for its whole life, so owners found once are kept (inode → pid,
 * comm), and /proc is walked again only when the dump holds an inode the cache does not know, at
 * most once per `minWalkMs`. A socket first seen between walks is marked `ownerPending` until the
 * next one (the exporter waits for it before choosing the socket's labels).
 *
 * Why: at 10 000 sockets in one process the walk is 10 000 readlink() calls — as long as the dump
 * itself — while from one scrape to the next almost every inode is already known.
 * Entries whose inode left the dump are dropped at each sample, so the cache is as big as the dump.
 * A process that exits or a socket that closes during a walk only loses its owner (kernel/proc-fd).
 */
import { clearCommCache, commOf, mapSocketInodes } from "./proc-fd.js";
/** What the cache reads and sets on a socket (kernel/sockets LiveSocket, kernel/slim-sample SlimSocket). */
export interface OwnedSocket {
  inode: number;
  pid?: number;
  pids?: number[];
  comm?: string;
  ownerPending?: boolean;
}

interface Owner {
  pid: number;
  pids?: number[] | undefined;
  comm?: string | undefined;
}

export interface OwnerAttach {
  walked: boolean;
  /** Sockets with an inode that no walk has looked for yet. */
  pending: number;
  /** Processes whose fds could not be read at the last walk. */
  unreadable: number;
  processes: number;
}

export class OwnerCache {
  private readonly owners = new Map<number, Owner | null>();
  private lastWalkMs = -Infinity;
  private unreadable = 0;
  private processes = 0;
  walks = 0;

  constructor(
    private readonly procRoot = "/proc",
    readonly minWalkMs = 1000,
  ) {}

  /** Set pid/pids/comm (or ownerPending) on each socket; walks /proc when needed and allowed. */
  attach(sockets: OwnedSocket[], nowMs = Date.now()): OwnerAttach {
    let unknown = false;
    for (const s of sockets) {
      if (s.inode !== 0 && !this.owners.has(s.inode)) {
        unknown = true;
        break;
      }
    }
    let walked = false;
    if (unknown && nowMs - this.lastWalkMs >= this.minWalkMs) {
      walked = true;
      this.walks++;
      this.lastWalkMs = nowMs;
      clearCommCache(); // pids are reused: names are read again after every walk
      const map = mapSocketInodes({ procRoot: this.procRoot });
      this.unreadable = map.unreadable;
      this.processes = map.processes;
      const live = new Set<number>();
      for (const s of sockets) if (s.inode !== 0) live.add(s.inode);
      for (const k of this.owners.keys()) if (!live.has(k)) this.owners.delete(k);
      for (const inode of live) {
        const pid = map.owner.get(inode);
        // null: looked for and not found (closed meanwhile, or an unreadable process's).
        this.owners.set(inode, pid === undefined ? null : { pid, pids: map.shared.has(inode) ? [pid, ...map.shared.get(inode)!] : undefined, comm: commOf(pid, this.procRoot) });
      }
    }
    let pending = 0;
    for (const s of sockets) {
      if (s.inode === 0) continue;
      const o = this.owners.get(s.inode);
      if (o === undefined) {
        s.ownerPending = true;
        pending++;
      } else if (o !== null) {
        s.pid = o.pid;
        if (o.pids) s.pids = o.pids;
        if (o.comm !== undefined) s.comm = o.comm;
      }
    }
    return { walked, pending, unreadable: this.unreadable, processes: this.processes };
  }
}
