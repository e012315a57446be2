/**
 * @module report/packet-lines
 * `tcpwin analyze --packets`: JSON Lines, one object per TCP packet, keys exactly as tcp/ emits
 * them (tshark's field names, tcpwin.* beyond). Objects are serialised at once (tcp/ may reuse
 * the object it passes) and written in batches of about 64 KiB, so a million packets are a few
 * hundred writes rather than a million.
 */

export class PacketLineWriter {
  private parts: string[] = [];
  private size = 0;
  lines = 0;

  constructor(
    private readonly write: (chunk: string) => void,
    private readonly batchBytes = 64 * 1024,
  ) {}

  push(fields: object): void {
    const line = JSON.stringify(fields);
    this.parts.push(line);
    this.size += line.length + 1;
    this.lines++;
    if (this.size >= this.batchBytes) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    this.parts.push("");
    this.write(this.parts.join("\n"));
    this.parts = [];
    this.size = 0;
  }
}
