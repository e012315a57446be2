/**
 * @module cli/commands/lab-rocketmq
 * `tcpwin lab namesrv` and `tcpwin lab broker`: the lab's RocketMQ name server and registering
 * broker (src/lab/rocketmq). Thin: parse, call the lab, print one line (or one JSON object) per
 * exchange / registration.
 */
import { Command, Option } from "commander";
import { UsageError } from "../../errors.js";
import { formatMs } from "../../model/index.js";
import { runBroker, startNameServer, type NameServerExchange, type RegistrationResult } from "../../lab/rocketmq/index.js";
import { intArg, mssArg, positiveDurationArg, sizeArg } from "../options.js";
import { style } from "../style.js";

export function registerNamesrv(lab: Command): void {
  lab
    .command("namesrv")
    .summary("a RocketMQ name server (real remoting protocol) configured like NamesrvStartup: -c file, -D, version")
    .description(
      "Keeps route data from REGISTER_BROKER and answers QUERY_DATA_VERSION and GET_ROUTEINFO_BY_TOPIC as a real" +
        " name server does. listenPort, serverSocketRcvBufSize and serverSocketSndBufSize come from the -c file," +
        " the -D properties and the version's defaults with RocketMQ's precedence (see `tcpwin rocketmq config`)." +
        " The buffers are set on the listening socket before listen() (accepted sockets inherit them; the window" +
        " scale is chosen from them), or with --apply accepted on each accepted socket after the handshake, as" +
        " Netty's childOption literally does. Runs until SIGINT/SIGTERM.",
    )
    .option("-c, --config <file>", "the name server's properties file (listenPort, serverSocketRcvBufSize, …)")
    .option("--jvm <args>", 'JVM options: "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576"')
    .option("--version <version>", "RocketMQ version to behave as", "4.9.8")
    .option("--host <addr>", "address to listen on", "0.0.0.0")
    .addOption(new Option("--port <n>", "override listenPort (0 = any free port)").argParser(intArg(0, 65535)))
    .addOption(new Option("--apply <where>", "where the buffers are set").choices(["listener", "accepted"]).default("listener"))
    .addOption(new Option("--mss <bytes>", "TCP_MAXSEG on the listener (without an MTU-limited link)").argParser(mssArg))
    .option("--json", "NDJSON: the settings, then one object per exchange")
    .addHelpText(
      "after",
      `
Examples:
  # the incident's name server: the file's 1024 wins over the -D
  $ printf 'serverSocketRcvBufSize=1024\\n' > namesrv.conf
  $ tcpwin lab namesrv -c namesrv.conf --jvm "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576" --port 9876
`,
    )
    .action(async (o: { config?: string; jvm?: string; version: string; host: string; port?: number; apply: "listener" | "accepted"; mss?: number; json?: boolean }) => {
      const st = style(process.stderr);
      const ns = await startNameServer({
        configFile: o.config,
        jvm: o.jvm,
        version: o.version,
        host: o.host,
        port: o.port,
        apply: o.apply,
        mss: o.mss,
        onExchange: (e) => process.stdout.write(o.json ? JSON.stringify({ exchange: e }) + "\n" : exchangeLine(e) + "\n"),
        onConnection: (c) => {
          if (!o.json) process.stderr.write(st.dim(`connection from ${c.peer}: rb ${c.accepted.effective.rcvbuf} tb ${c.accepted.effective.sndbuf} mss ${c.accepted.effective.mss}\n`));
        },
        onError: (m) => process.stderr.write(`tcpwin lab namesrv: ${m}\n`),
      });
      const s = ns.settings;
      const setting = (x: typeof s.serverSocketRcvBufSize) => `${x.name}=${x.value} (${x.source})${x.applied === null ? " → no setsockopt" : ""}`;
      if (o.json) {
        process.stdout.write(
          JSON.stringify({
            listening: { host: ns.host, port: ns.port, listen_port_source: s.listenPortSource, apply: s.apply, listener: s.listener },
            serverSocketRcvBufSize: { value: s.serverSocketRcvBufSize.value, source: s.serverSocketRcvBufSize.source, applied: s.serverSocketRcvBufSize.applied },
            serverSocketSndBufSize: { value: s.serverSocketSndBufSize.value, source: s.serverSocketSndBufSize.source, applied: s.serverSocketSndBufSize.applied },
          }) + "\n",
        );
      } else {
        process.stderr.write(
          `name server on ${ns.host}:${ns.port} (listenPort from ${s.listenPortSource}); ${setting(s.serverSocketRcvBufSize)}, ${setting(s.serverSocketSndBufSize)}; ` +
            `set on the ${s.apply === "listener" ? "listener before listen()" : "accepted sockets"}: listener rb ${s.listener.effective.rcvbuf} tb ${s.listener.effective.sndbuf}\n`,
        );
        for (const x of [s.serverSocketRcvBufSize, s.serverSocketSndBufSize]) {
          if (x.ignoredFileValue) process.stderr.write(st.yellow(`warning: ${x.name}=${JSON.stringify(x.ignoredFileValue.raw)} (line ${x.ignoredFileValue.line}) is ignored by RocketMQ: ${x.ignoredFileValue.reason}\n`));
        }
      }
      await new Promise<void>((res) => {
        const stop = () => res();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await ns.close();
    });
}

function exchangeLine(e: NameServerExchange): string {
  const what =
    e.code === 103 ? `${e.broker_name} ${e.broker_addr}, ${e.topics} topics` : e.code === 105 ? `topic ${e.topic}` : e.code === 322 ? `changed=${e.changed}` : "";
  return (
    `${e.name} (${e.code}) opaque ${e.opaque} from ${e.peer}: ${e.request_bytes} B received over ${formatMs(e.receive_ms)}${what ? `, ${what}` : ""}` +
    ` → ${e.response_code}${e.remark ? ` ${JSON.stringify(e.remark.split("\n")[0])}` : ""}`
  );
}

export function registerBrokerCommand(lab: Command): void {
  lab
    .command("broker")
    .summary("a RocketMQ broker's registrations: REGISTER_BROKER every period with invokeSync semantics (timeout, close, reconnect)")
    .argument("<namesrv>", "the name server, host:port")
    .addOption(new Option("--topics <n>", "topics in the table").argParser(intArg(1, 10_000_000)).conflicts("bodySize"))
    .addOption(new Option("--body-size <bytes>", "REGISTER_BROKER body size to reach, e.g. 2079208").argParser(sizeArg))
    .option("--version <version>", "RocketMQ version to behave as (header version, default timeout)", "4.9.8")
    .addOption(new Option("--timeout <time>", "registerBrokerTimeoutMills (default: 6000 ms in 4.x, 24000 ms in 5.x)").argParser(positiveDurationArg("a timeout")))
    .addOption(new Option("--period <time>", "registerNameServerPeriod").argParser(positiveDurationArg("a period")).default(30, "30s"))
    .addOption(new Option("--count <n>", "registrations to make").argParser(intArg(1, 1_000_000)).default(1))
    .option("-c, --config <file>", "the broker's properties file (clientSocketSndBufSize, clientSocketRcvBufSize)")
    .option("--jvm <args>", 'JVM options: "-Dcom.rocketmq.remoting.socket.sndbuf.size=131072"')
    .option("--compressed", "compressedRegister=true: a deflated body")
    .option("--no-force-register", "ask QUERY_DATA_VERSION first, register only when changed")
    .option("--broker-addr <ip:port>", "the address registered", "127.0.0.1:10911")
    .option("--broker-name <name>", "brokerName", "broker-a")
    .addOption(new Option("--mss <bytes>", "TCP_MAXSEG on the client socket").argParser(mssArg))
    .option("--json", "NDJSON: one object per registration")
    .addHelpText(
      "after",
      `
Examples:
  # the incident's registration: a 2 079 208-byte body against a 3 s timeout, three periods
  $ tcpwin lab broker 10.77.0.2:9876 --body-size 2079208 --timeout 3s --period 10s --count 3
`,
    )
    .action(
      async (
        namesrv: string,
        o: { topics?: number; bodySize?: number; version: string; timeout?: number; period: number; count: number; config?: string; jvm?: string; compressed?: boolean; forceRegister: boolean; brokerAddr: string; brokerName: string; mss?: number; json?: boolean },
      ) => {
        if (!/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(namesrv)) throw new UsageError(`lab broker: name server address ${JSON.stringify(namesrv)}: expected host:port`);
        const ac = new AbortController();
        const stop = () => ac.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        const st = style(process.stdout);
        const run = await runBroker({
          namesrv,
          topics: o.topics,
          bodySize: o.bodySize,
          version: o.version,
          timeoutMs: o.timeout !== undefined ? o.timeout * 1000 : undefined,
          periodMs: o.period * 1000,
          count: o.count,
          configFile: o.config,
          jvm: o.jvm,
          compressed: o.compressed,
          forceRegister: o.forceRegister,
          brokerAddr: o.brokerAddr,
          brokerName: o.brokerName,
          mss: o.mss,
          signal: ac.signal,
          onRegistration: (r) => process.stdout.write(o.json ? JSON.stringify(r) + "\n" : registrationLine(r, st) + "\n"),
        });
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        if (!o.json) {
          const to = run.results.filter((r) => r.timed_out).length;
          process.stderr.write(`${run.results.length} registration(s) of ${run.body_bytes} B (${run.topics} topics), timeout ${run.timeout_ms} ms: ${to} timed out\n`);
        }
        if (run.results.some((r) => r.error !== undefined || r.timed_out)) process.exitCode = 1;
      },
    );
}

function registrationLine(r: RegistrationResult, st: ReturnType<typeof style>): string {
  const outcome = r.timed_out
    ? st.red(`TIMED OUT after ${formatMs(r.elapsed_ms)} (timeout ${r.timeout_ms} ms)${r.closed_after_timeout ? ", channel closed" : ""}`)
    : r.error
      ? st.red(`failed: ${r.error}`)
      : `${r.response_code === 0 ? st.green("SUCCESS") : `code ${r.response_code}${r.remark ? ` ${JSON.stringify(r.remark)}` : ""}`} in ${formatMs(r.elapsed_ms)}`;
  return (
    `#${r.index + 1} ${r.code === 322 ? "QUERY_DATA_VERSION (unchanged, no registration)" : "REGISTER_BROKER"} opaque ${r.opaque}, ${r.frame_bytes || r.body_bytes} B` +
    `${r.new_connection ? `, new connection (port ${r.local_port}, connect ${formatMs(r.connect_ms ?? 0)})` : ""}: ${outcome}`
  );
}
