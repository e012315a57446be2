/**
 * @module cli/commands/exporter
 * `tcpwin exporter`: a Prometheus endpoint (text exposition, prom-client) on loopback by default,
 * per process and port: busy / rwnd-limited / sndbuf-limited seconds and bytes (counters that only
 * grow, closed connections included through the kernel's socket-destroy notifications), the
 * smallest rb / tb / peer window, connections by verdict, the most limited connections.
 *
 * The port: Prometheus' registry of default exporter ports (github.com/prometheus/prometheus/wiki/
 * Default-port-allocations) has had 9100–9999 fully allocated since 2023, so 9465 (and every
 * neighbour of node_exporter's 9100) belongs to some registered exporter; the default is 19465,
 * outside that range, outside Linux's ephemeral ports (32768–60999) and not in /etc/services.
 * Anything but loopback only with an explicit --listen.
 *
 * HTTP is bounded: at most 32 connections, 5 s to send a request, GET /metrics only; scrapes
 * closer than --min-interval apart reuse the last sample (cli/exporter/service).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Command, InvalidArgumentError, Option } from "commander";
import { prometheusContentType } from "prom-client";
import { ExporterService } from "../exporter/service.js";
import { durationArg, intArg } from "../options.js";
import { UsageError } from "../../errors.js";

export const DEFAULT_LISTEN = "127.0.0.1:19465";

interface ExporterOpts {
  listen: { host: string; port: number };
  top: number;
  maxSeries: number;
  minInterval: number;
  destroyEvents: boolean;
  duration?: number;
}

/** "host:port", "[v6]:port" or ":port" (loopback). */
export function listenArg(t: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(t.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new InvalidArgumentError(`"${t}": expected host:port, [ipv6]:port or :port`);
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

const EXAMPLES = `
Examples:
  # serve on 127.0.0.1:19465 (loopback only); Prometheus scrapes http://127.0.0.1:19465/metrics
  $ tcpwin exporter
  # every address of the host, explicitly
  $ tcpwin exporter --listen 0.0.0.0:19465
  # a smaller label budget
  $ tcpwin exporter --top 5 --max-series 200
Alert rules and a Grafana dashboard over these metrics: deploy/ in the source tree.
`;

export function registerExporter(program: Command): void {
  program
    .command("exporter")
    .summary("Prometheus endpoint: per process and port, time limited by the peer's window or our buffer")
    .description(
      "Serve Prometheus metrics of this host's TCP connections (sock_diag), aggregated by process and port: " +
        "tcpwin_busy_seconds_total, tcpwin_rwnd_limited_seconds_total, tcpwin_sndbuf_limited_seconds_total " +
        "(connections that closed between scrapes included, through the kernel's socket-destroy notifications), " +
        "the smallest rb/tb/peer window, connections by verdict, and the most limited connections.",
    )
    .addOption(new Option("--listen <host:port>", "address to serve on (anything but loopback only when given)").default(listenArg(DEFAULT_LISTEN), DEFAULT_LISTEN).argParser(listenArg))
    .addOption(new Option("--top <n>", "most limited connections exported one by one").default(10).argParser(intArg(0, 1000)))
    .addOption(new Option("--max-series <n>", "most (process, role, port) keys; further ones fold into process=\"_other\"").default(500).argParser(intArg(1, 100000)))
    .addOption(new Option("--min-interval <time>", "scrapes closer than this reuse the last sample").default(0.5, "500ms").argParser(durationArg))
    .option("--no-destroy-events", "do not subscribe to socket-destroy notifications (poll only)")
    .addOption(new Option("--duration <time>", "stop after this long (default: until SIGINT/SIGTERM)").argParser(durationArg))
    .addHelpText("after", EXAMPLES)
    .action(async (opts: ExporterOpts) => {
      await runExporter(opts);
    });
}

export async function runExporter(opts: ExporterOpts): Promise<void> {
  const svc = new ExporterService({ topN: opts.top, maxKeys: opts.maxSeries, minIntervalMs: opts.minInterval * 1000, destroyEvents: opts.destroyEvents });
  const server = createServer((req, res) => void handle(svc, req, res));
  server.maxConnections = 32;
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "EADDRINUSE" ? new UsageError(`--listen ${opts.listen.host}:${opts.listen.port}: address already in use`, "--listen") : e),
    );
    server.listen(opts.listen.port, opts.listen.host, resolve);
  });
  const a = server.address();
  const where = typeof a === "object" && a ? `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}` : String(a);
  process.stderr.write(
    `tcpwin exporter: serving http://${where}/metrics` +
      (svc.state.destroySubscribed ? "" : ` (socket-destroy notifications ${svc.state.destroyRefusal === "off" ? "off" : `refused: ${svc.state.destroyRefusal}`}; polling only)`) +
      "\n",
  );
  await waitForStop(server, opts.duration);
  svc.close();
}

async function handle(svc: ExporterService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end();
    return;
  }
  if (path === "/") {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("tcpwin exporter: metrics at /metrics\n");
    return;
  }
  if (path !== "/metrics") {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found: try /metrics\n");
    return;
  }
  try {
    const body = await svc.scrape();
    res.writeHead(200, { "content-type": prometheusContentType });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch (e) {
    res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`scrape failed: ${(e as Error).message}\n`);
  }
}

function waitForStop(server: Server, durationS: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
      if (timer) clearTimeout(timer);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    if (durationS !== undefined) timer = setTimeout(stop, durationS * 1000);
  });
}
