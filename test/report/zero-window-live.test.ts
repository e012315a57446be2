/**
 * A real zero window on loopback: a server that never reads, a client that writes until the
 * kernel stops it. `tcpwin sockets` must say the receiving application is not reading and name
 * the receiving socket's unread Recv-Q (it is on this host), not "at most 1 segment".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Socket } from "node:net";
import { listTcpSockets } from "../../src/kernel/sockets.js";
import { renderSocketsText } from "../../src/report/sockets.js";
import { NO_PAINT } from "../../src/report/analyze-types.js";
import { machineLimits } from "../../src/cli/commands/sockets.js";

const skip = process.platform !== "linux" ? "needs Linux (sock_diag)" : false;

test("a server that does not read: peer_window_zero on the sender, with the reader's Recv-Q", { skip, timeout: 30_000 }, async () => {
  let accepted: Socket | undefined;
  const server = createServer((s) => {
    accepted = s;
    s.pause(); // never read: its receive buffer fills, its window closes
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const client = connect(port, "127.0.0.1");
  try {
    await new Promise<void>((r) => client.once("connect", () => r()));
    const chunk = Buffer.alloc(1 << 20, 0x61);
    let sent = 0;
    const until = Date.now() + 20_000;
    let text = "";
    while (Date.now() < until) {
      // Keep the send queue full, then look: the window is 0 once the reader's buffer is.
      while (client.writableLength < 8 << 20 && sent < 256 << 20) {
        client.write(chunk);
        sent += chunk.length;
      }
      await new Promise((r) => setTimeout(r, 100));
      const list = listTcpSockets({ port }).sockets;
      // By both ports: another process's sockets (a benchmark holding 10 000) can use `port` too.
      const snd = list.find((s) => s.state === 1 && s.dport === port && s.sport === client.localPort);
      if (snd?.info?.snd_wnd === 0) {
        text = renderSocketsText({ sockets: list, machine: machineLimits(), decodeErrors: 0 }, NO_PAINT);
        break;
      }
    }
    if (process.env.SHOW) console.log(text);
    assert.ok(text, `the client's snd_wnd never reached 0 after ${sent} bytes written`);
    assert.match(text, /! peer window 0: the receiving application is not reading \(its receive buffer is full\), so nothing can be sent until it reads; its socket here holds Recv-Q \d+ B unread of rb \d+/);
    assert.match(text, /! we advertise a zero window: this application is not reading \(Recv-Q \d+ B unread of rb \d+\)/);
    assert.doesNotMatch(text, /at most \d+ segment/);
  } finally {
    client.destroy();
    accepted?.destroy();
    await new Promise((r) => server.close(r));
  }
});
