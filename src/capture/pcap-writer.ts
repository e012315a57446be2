/**
 * @module capture/pcap-writer
 * Streaming classic pcap writer (little-endian, version 2.4, magic a1b2c3d4 for µs or a1b23c4d for
 * ns), for the lab's link emulator and tests. Records are copied into one reused buffer and written
 * with `fs.writeSync` when it fills, so a packet costs one copy and no allocation.
 *
 * Invariants: the file header is written by the constructor; `caplen = min(length, snaplen)`,
 * `origLen` defaults to the length given; after `close()` nothing more may be written.
 * A record bigger than the buffer is written straight through after a flush.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { CaptureIoError } from "./chunk-source.js";
import { PCAP_MAGIC_NS, PCAP_MAGIC_US } from "./pcap-reader.js";

export interface PcapWriterOptions {
  /** LINKTYPE_* of every record (e.g. 101 raw IP, 1 Ethernet). */
  linkType: number;
  /** Nanosecond timestamps (magic a1b23c4d); default microseconds. */
  nanosecond?: boolean;
  /** Default 262144, like tcpdump. */
  snaplen?: number;
  /** Size of the write buffer; default 256 KiB. */
  bufferSize?: number;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export class PcapWriter {
  readonly linkType: number;
  readonly nanosecond: boolean;
  readonly snaplen: number;
  /** Records written so far. */
  packets = 0;
  /** Bytes of file written or buffered so far. */
  bytes = 0;
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private readonly buf: Uint8Array;
  private readonly dv: DataView;
  private used = 0;
  private closed = false;
  private readonly path: string;

  constructor(target: number | string, opts: PcapWriterOptions) {
    this.linkType = opts.linkType;
    this.nanosecond = opts.nanosecond ?? false;
    this.snaplen = opts.snaplen ?? 262144;
    if (typeof target === "number") {
      this.fd = target;
      this.ownsFd = false;
      this.path = `fd ${target}`;
    } else {
      this.path = target;
      try {
        this.fd = openSync(target, "w");
      } catch (e) {
        throw new CaptureIoError(`cannot create ${target}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, target, { cause: e });
      }
      this.ownsFd = true;
    }
    this.buf = new Uint8Array(Math.max(4096, opts.bufferSize ?? 256 * 1024));
    this.dv = new DataView(this.buf.buffer);
    const dv = this.dv;
    dv.setUint32(0, this.nanosecond ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    dv.setUint16(4, 2, true);
    dv.setUint16(6, 4, true);
    dv.setInt32(8, 0, true); // thiszone
    dv.setUint32(12, 0, true); // sigfigs
    dv.setUint32(16, this.snaplen, true);
    dv.setUint32(20, this.linkType, true);
    this.used = 24;
    this.bytes = 24;
  }

  /** Append one record: `bytes` (all of it), taken at tsSec + tsNsec·1e-9. */
  write(tsSec: number, tsNsec: number, bytes: Uint8Array, origLen: number = bytes.length): void {
    this.writeRange(tsSec, tsNsec, bytes, 0, bytes.length, origLen);
  }

  /** Append `buf[start, start + length)` as one record, without the caller making a subarray. */
  writeRange(tsSec: number, tsNsec: number, buf: Uint8Array, start: number, length: number, origLen: number = length): void {
    if (this.closed) throw new CaptureIoError(`pcap writer for ${this.path} is closed`, this.path);
    const caplen = length < this.snaplen ? length : this.snaplen;
    if (this.used + 16 + caplen > this.buf.length) this.flush();
    const dv = this.dv;
    const h = this.used;
    dv.setUint32(h, tsSec, true);
    dv.setUint32(h + 4, this.nanosecond ? tsNsec : Math.floor(tsNsec / 1000), true);
    dv.setUint32(h + 8, caplen, true);
    dv.setUint32(h + 12, origLen > caplen ? origLen : caplen, true);
    this.used += 16;
    if (16 + caplen > this.buf.length) {
      this.flush();
      this.writeAll(buf, start, caplen);
    } else {
      // Whole array: set() (memcpy, no allocation). A range: a byte loop, to avoid a subarray view.
      const d = this.buf;
      let u = this.used;
      if (start === 0 && caplen === buf.length) d.set(buf, u);
      else for (let i = start, e = start + caplen; i < e; i++) d[u++] = buf[i]!;
      this.used += caplen;
    }
    this.packets++;
    this.bytes += 16 + caplen;
  }

  flush(): void {
    if (this.used === 0) return;
    this.writeAll(this.buf, 0, this.used);
    this.used = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.ownsFd) closeSync(this.fd);
  }

  private writeAll(b: Uint8Array, off: number, len: number): void {
    while (len > 0) {
      let n: number;
      try {
        n = writeSync(this.fd, b, off, len);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") {
          Atomics.wait(sleepCell, 0, 0, 1);
          continue;
        }
        throw new CaptureIoError(`cannot write ${this.path}: ${code ?? String(e)}`, this.path, { cause: e });
      }
      off += n;
      len -= n;
    }
  }
}
