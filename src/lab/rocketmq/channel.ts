/**
 * @module lab/rocketmq/channel
 * One remoting connection of the lab's name server or broker: frames in through the codec's
 * FrameStream (chunks split anywhere), frames out through encodeFrame. What a Netty channel with
 * NettyDecoder/NettyEncoder is to RocketMQ. A frame that does not decode is reported and the
 * connection closed, as NettyDecoder's exception does (RemotingUtil.closeChannel).
 */
import type net from "node:net";
import { encodeFrame, FrameStream, SerializeType, type EncodeCommand, type StreamFrame } from "../../protocols/rocketmq/index.js";

const T0 = performance.now();

export interface ChannelEvents {
  onFrame(frame: StreamFrame, ch: RemotingChannel): void;
  onError?(message: string, ch: RemotingChannel): void;
  onClose?(ch: RemotingChannel): void;
}

export class RemotingChannel {
  readonly peer: string;
  private readonly stream: FrameStream;
  private closedFlag = false;
  /** Bytes received and sent on this connection (frames only). */
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    readonly socket: net.Socket,
    private readonly events: ChannelEvents,
    readonly serializeType: SerializeType = SerializeType.JSON,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.stream = new FrameStream((ev) => {
      if (ev.kind === "frame") this.events.onFrame(ev.frame, this);
      else {
        this.events.onError?.(`${this.peer}: byte ${ev.error.offset}: ${ev.error.message}`, this);
        this.close();
      }
    });
    socket.on("data", (b: Buffer) => {
      this.bytesIn += b.length;
      // Each chunk stamped with its arrival (ns since this module loaded): a frame's firstTsNs and
      // lastTsNs say how long its bytes took to arrive.
      this.stream.push(b, Math.round((performance.now() - T0) * 1e6));
    });
    socket.on("error", (e) => this.events.onError?.(`${this.peer}: ${e.message}`, this));
    socket.on("close", () => {
      this.closedFlag = true;
      this.events.onClose?.(this);
    });
  }

  get closed(): boolean {
    return this.closedFlag || this.socket.destroyed;
  }

  /** Encode and write one command; the frame's size in bytes, 0 when the connection is already gone. */
  send(cmd: EncodeCommand): number {
    if (this.closed) return 0;
    const f = encodeFrame(cmd, this.serializeType);
    this.bytesOut += f.length;
    this.socket.write(f);
    return f.length;
  }

  /** Write a frame encoded beforehand (encodeFrame); its size, 0 when the connection is gone. */
  sendEncoded(frame: Uint8Array): number {
    if (this.closed) return 0;
    this.bytesOut += frame.length;
    this.socket.write(frame);
    return frame.length;
  }

  /**
   * Close as Netty's channel.close() does: what the kernel already holds is still sent, then FIN;
   * writes still queued in user space are dropped.
   */
  close(): void {
    if (this.socket.destroyed) return;
    this.socket.destroy();
  }
}
