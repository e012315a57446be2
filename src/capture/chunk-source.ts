/**
 * @module capture/chunk-source
 * Synchronous, bounded-memory byte source over a file or stdin: one reused buffer, refilled with
 * `fs.readSync`. Readers ask `ensure(n)` for n contiguous bytes at `pos`; the tail is compacted to
 * the front first, so a record that spans two reads is still contiguous. The buffer only grows when
 * a single record needs more than it holds, and never beyond `maxCapacity`, so memory is bounded
 * whatever the file size.
 *
 * Invariants: `buf[pos..end)` are unread bytes; `base` is the file offset of `buf[0]`, so
 * `base + pos` is the file offset of the next unread byte. Views handed out (`buf`, `dv`) are valid
 * until the next `ensure`/`skip` call.
 *
 * stdin: read through fd 0 with position `null`. A non-blocking fd 0 (a pipe inherited that way, a
 * TTY) makes readSync throw EAGAIN: we wait a millisecond and retry instead of treating it as EOF.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { TcpwinError } from "../errors.js";

/** Opening or reading the capture failed at the OS level (not a format problem). */
export class CaptureIoError extends TcpwinError {
  override readonly name = "CaptureIoError";
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super("capture_io", message, options);
  }
}

export const DEFAULT_CHUNK = 1 << 20;
/** The largest single record/block we will hold in memory (pcapng blocks we parse). */
export const MAX_CAPACITY = 16 << 20;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export class ChunkSource {
  buf: Uint8Array;
  dv: DataView;
  pos = 0;
  end = 0;
  base = 0;
  eof = false;
  /** Size of a regular file in bytes at open time; -1 for pipes and other streams. */
  readonly size: number = -1;
  /** Next file position to read from (regular files), or -1 to read sequentially (pipes). */
  private readPos: number;
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private closed = false;

  constructor(
    readonly path: string,
    chunkSize = DEFAULT_CHUNK,
  ) {
    if (path === "-") {
      this.fd = 0;
      this.ownsFd = false;
    } else {
      try {
        this.fd = openSync(path, "r");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? "error";
        throw new CaptureIoError(`cannot open capture ${path}: ${code}`, path, { cause: e });
      }
      this.ownsFd = true;
    }
    let regular = false;
    try {
      const st = fstatSync(this.fd);
      regular = st.isFile();
      if (regular) this.size = st.size;
      if (st.isDirectory()) throw new CaptureIoError(`cannot read capture ${path}: is a directory`, path);
    } catch (e) {
      if (e instanceof CaptureIoError) {
        this.close();
        throw e;
      }
    }
    this.readPos = regular ? 0 : -1;
    this.buf = new Uint8Array(Math.max(64, chunkSize));
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes available at `pos` without reading. */
  get available(): number {
    return this.end - this.pos;
  }

  /** Make `n` bytes available contiguously at `pos`. False if the input ends first (or n is too big). */
  ensure(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    return this.fill(n);
  }

  private fill(n: number): boolean {
    if (n > MAX_CAPACITY) return false;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    if (n > this.buf.length) {
      let cap = this.buf.length;
      while (cap < n) cap *= 2;
      const nb = new Uint8Array(Math.min(cap, MAX_CAPACITY));
      nb.set(this.buf.subarray(0, this.end));
      this.buf = nb;
      this.dv = new DataView(nb.buffer, nb.byteOffset, nb.byteLength);
    }
    while (this.end < n && !this.eof) {
      const got = this.read(this.end, this.buf.length - this.end);
      if (got === 0) this.eof = true;
      else this.end += got;
    }
    return this.end >= n;
  }

  /** Skip `n` bytes, which may reach beyond the buffer (unknown pcapng blocks). False on EOF. */
  skip(n: number): boolean {
    const avail = this.end - this.pos;
    if (n <= avail) {
      this.pos += n;
      return true;
    }
    let left = n - avail;
    this.base += this.end;
    this.pos = this.end = 0;
    if (this.readPos >= 0) {
      // Regular file: move the read position; a later read returning 0 reveals a short file.
      const want = left;
      this.readPos += want;
      this.base += want;
      // Confirm the file really has those bytes: the next ensure() will see EOF otherwise, but
      // the caller wants to know now, so check with fstat.
      const size = fstatSync(this.fd).size;
      if (this.readPos > size) {
        this.base -= this.readPos - size;
        this.readPos = size;
        this.eof = true;
        return false;
      }
      return true;
    }
    while (left > 0) {
      const got = this.read(0, Math.min(left, this.buf.length));
      if (got === 0) {
        this.eof = true;
        return false;
      }
      left -= got;
      this.base += got;
    }
    return true;
  }

  /** One read into buf[at..at+len): bytes read, 0 at end of input. */
  private read(at: number, len: number): number {
    for (;;) {
      try {
        const got = readSync(this.fd, this.buf, at, len, this.readPos >= 0 ? this.readPos : null);
        if (this.readPos >= 0) this.readPos += got;
        return got;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN" || code === "EWOULDBLOCK") {
          Atomics.wait(sleepCell, 0, 0, 1);
          continue;
        }
        if (code === "EOF") return 0;
        throw new CaptureIoError(`cannot read capture ${this.path}: ${code ?? String(e)}`, this.path, { cause: e });
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsFd) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
  }
}
