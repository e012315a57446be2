/**
 * @module cli/commands/rocketmq
 * `tcpwin rocketmq config`: the socket buffers a RocketMQ name server or broker really uses — from
 * its -c file, its -D properties and its version — what window each yields on this kernel, and
 * lint against an RTT, a body size and a timeout. Thin: read the file, call
 * protocols/rocketmq/config, print.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { UsageError } from "../../errors.js";
import { kernelFamily, parseKernelVersion } from "../../model/index.js";
import {
  decodeLatin1,
  lintSettings,
  parseJavaProperties,
  parseJvmArgs,
  parseRocketmqVersion,
  resolveSocketBuffers,
  SOCKET_BUFFER_SETTINGS,
  type Finding,
  type ParsedProperties,
  type RocketmqRole,
  type SettingReport,
  type SocketBufferSetting,
} from "../../protocols/rocketmq/config/index.js";
import { bandwidthArg, mssArg, positiveDurationArg, sizeArg } from "../options.js";
import { readMachineNet } from "../machine.js";
import { style } from "../style.js";

interface ConfigOpts {
  namesrv?: string;
  broker?: string;
  role?: RocketmqRole;
  jvm?: string;
  version?: string;
  rtt?: number;
  bandwidth?: number;
  bodySize?: number;
  timeout: number;
  mss: number;
  timestamps?: boolean;
  kernel?: string;
  rmemMax?: number;
  wmemMax?: number;
  json?: boolean;
}

const EXAMPLES = `
Examples:
  # the incident: the file says 1024, the -D says 1 MiB — which wins, and what it costs
  $ tcpwin rocketmq config --namesrv namesrv.conf --jvm "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576" \\
      --version 4.9.2 --rtt 1.66ms --mss 574 --body-size 2079208 --timeout 3s
  # a broker's buffers, machine-readable
  $ tcpwin rocketmq config --broker broker.conf --version 5.3.3 --json
  # no file: the version's defaults alone
  $ tcpwin rocketmq config --role broker --version 4.9.2
`;

export function registerRocketmq(program: Command): void {
  const rmq = program
    .command("rocketmq")
    .summary("RocketMQ: effective socket buffers of a name server or broker (config file, -D, version) and lint")
    .description("RocketMQ helpers. `config`: which serverSocket*/clientSocket* buffer sizes a name server or broker really uses, and what they cost.");
  rmq
    .command("config")
    .summary("effective serverSocket*/clientSocket* buffer sizes from the -c file, -D properties and version defaults, with lint")
    .description(
      "Reads a RocketMQ config file as java.util.Properties does (ISO-8859-1, =/:/whitespace separators, #/! comments," +
        " \\ continuations, \\uXXXX escapes), applies RocketMQ's precedence (config file > -Dcom.rocketmq.remoting.socket.*" +
        " > version default: 65535 up to 4.9.2, kernel autotuning from 4.9.3, older name server 4096 and broker 131072" +
        " overrides), flags values Integer.parseInt rejects (RocketMQ ignores them silently), and shows the window each" +
        " value yields on this kernel; with --rtt and --body-size, whether a body fits in --timeout.",
    )
    .option("--namesrv <file>", "the name server's -c config file")
    .option("--broker <file>", "the broker's -c config file")
    .addOption(new Option("--role <role>", "namesrv or broker, when no file is given").choices(["namesrv", "broker"]))
    .option("--jvm <args>", 'the JVM options, e.g. "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576 -Xmx1g"')
    .option("--version <version>", "RocketMQ version (defaults changed in 4.9.3): 4.9.2, 5.3.3")
    .addOption(new Option("--rtt <time>", "path round-trip time for the lint: 1.66ms").argParser(positiveDurationArg("a round-trip time")))
    .addOption(new Option("--bandwidth <rate>", "link rate cap for the lint: 1Gbit").argParser(bandwidthArg))
    .addOption(new Option("--body-size <bytes>", "REGISTER_BROKER body, checked on the buffers it crosses (name server serverSocketRcvBufSize, broker clientSocketSndBufSize): 2079208").argParser(sizeArg))
    .addOption(new Option("--timeout <time>", "the request's timeout").argParser(positiveDurationArg("a timeout")).default(3, "3s, as in the incident"))
    .addOption(new Option("--mss <bytes>", "MSS of the path").argParser(mssArg).default(1448))
    .option("--timestamps", "TCP timestamps on (each segment carries MSS − 12)")
    .option("--kernel <version>", "Linux version whose buffer→window rules apply (default: this machine's)")
    .addOption(new Option("--rmem-max <bytes>", "net.core.rmem_max (default: this machine's)").argParser(sizeArg))
    .addOption(new Option("--wmem-max <bytes>", "net.core.wmem_max (default: this machine's)").argParser(sizeArg))
    .option("--json", "one JSON object keyed by the four setting names")
    .addHelpText("after", EXAMPLES)
    .action((opts: ConfigOpts) => {
      const r = rocketmqConfig(opts);
      process.stdout.write(opts.json ? JSON.stringify(r.json, null, 2) + "\n" : r.text);
    });
}

function readWmemMax(): number | undefined {
  try {
    return Number(readFileSync("/proc/sys/net/core/wmem_max", "utf8").trim());
  } catch {
    return undefined;
  }
}

function loadFile(path: string): ParsedProperties {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // NamesrvStartup/BrokerStartup call Properties.load(InputStream): bytes are ISO-8859-1.
  const parsed = parseJavaProperties(decodeLatin1(bytes));
  if (parsed.error) throw new UsageError(`${path}: ${parsed.error.message}`);
  return parsed;
}

export function rocketmqConfig(opts: ConfigOpts): { json: Record<string, unknown>; text: string } {
  if (opts.namesrv !== undefined && opts.broker !== undefined) throw new UsageError("rocketmq config: give --namesrv FILE or --broker FILE, not both");
  const role: RocketmqRole | undefined = opts.namesrv !== undefined ? "namesrv" : opts.broker !== undefined ? "broker" : opts.role;
  if (!role) throw new UsageError("rocketmq config: give --namesrv FILE, --broker FILE, or --role namesrv|broker without a file");
  if (opts.role && opts.role !== role) throw new UsageError(`rocketmq config: --role ${opts.role} contradicts --${role}`);
  if (opts.version === undefined) throw new UsageError("rocketmq config: --version is required (the defaults changed in 4.9.3), e.g. --version 4.9.2");
  const version = parseRocketmqVersion(opts.version);
  if (!version) throw new UsageError(`--version ${JSON.stringify(opts.version)}: expected a RocketMQ version such as 4.9.2 or 5.3.3`, "--version", opts.version);
  if (version.major < 4) throw new UsageError(`--version ${opts.version}: only Apache RocketMQ 4.0 and later are modelled (3.x was com.alibaba.rocketmq)`);
  if (opts.timestamps && opts.mss <= 12 + 76) throw new UsageError(`--mss ${opts.mss} is too small with --timestamps`);
  const filePath = opts.namesrv ?? opts.broker;
  const file = filePath !== undefined ? loadFile(filePath) : undefined;
  let jvm;
  try {
    jvm = parseJvmArgs(opts.jvm ?? "");
  } catch (e) {
    throw new UsageError(`--jvm: ${(e as Error).message}`);
  }
  const machine = readMachineNet();
  const kernelText = opts.kernel ?? machine.kernelRelease;
  const kernel = parseKernelVersion(kernelText);
  if (!kernel) throw new UsageError(`--kernel ${JSON.stringify(kernelText)}: expected a version such as 6.18 or 5.10`, "--kernel", kernelText);
  const family = kernelFamily(kernel);

  const settings = resolveSocketBuffers({ role, version, file, jvm: jvm.props });
  const lint = {
    mss: opts.mss,
    timestamps: opts.timestamps ?? false,
    family,
    rmemMax: opts.rmemMax ?? machine.rmemMax,
    wmemMax: opts.wmemMax ?? readWmemMax(),
    tcpRmem: machine.tcpRmem,
    rttSec: opts.rtt,
    bandwidthBps: opts.bandwidth,
    bodyBytes: opts.bodySize,
    timeoutMs: opts.timeout * 1000,
  };
  const { reports, findings } = lintSettings(settings, lint, file);

  const json: Record<string, unknown> = {};
  for (const name of SOCKET_BUFFER_SETTINGS) json[name] = settingJson(reports[name]);
  json.role = role;
  json.version = version.text;
  if (filePath !== undefined) json.file = filePath;
  json.kernel = `${kernel.major}.${kernel.minor}`;
  json.kernel_family = family;
  json.mss = opts.mss;
  json.timeout_ms = lint.timeoutMs;
  json.precedence = ["file", "jvm", "default"];
  json.findings = findings;
  return { json, text: renderText(role, version.text, filePath, `${kernel.major}.${kernel.minor} (${family})`, opts, reports, findings) };
}

function settingJson(r: SettingReport): Record<string, unknown> {
  const s = r.setting;
  const o: Record<string, unknown> = {
    value: s.value,
    source: s.source,
    applied: s.applied,
    kernel_autotuning: s.value !== null && s.applied === null,
    version_default: s.versionDefault,
    default_reason: s.defaultReason,
    jvm_property: s.jvmProperty,
  };
  if (s.jvmValue !== undefined) o.jvm_value = s.jvmValue;
  if (s.fileEntry) o.file_line = s.fileEntry.line;
  if (s.overriddenJvm !== undefined) o.overridden_jvm_value = s.overriddenJvm;
  if (s.ignoredFileValue) o.ignored_file_value = s.ignoredFileValue;
  if (s.jvmFails) o.jvm_startup_fails = s.jvmFails;
  o.carries = s.carries;
  if (r.kernel) {
    const k = r.kernel;
    o.kernel = {
      [s.kind === "rcvbuf" ? "sk_rcvbuf" : "sk_sndbuf"]: k.skBuf,
      locked: k.locked,
      ...(k.windowSyn !== undefined ? { window_syn: k.windowSyn, window_steady: k.windowSteady, wscale: k.wscale } : {}),
      exceeds_max: k.exceedsMax,
    };
  }
  if (r.transfer) o.transfer = r.transfer;
  o.steps = [...s.steps, ...(r.kernel?.steps ?? [])];
  return o;
}

function renderText(
  role: RocketmqRole,
  version: string,
  file: string | undefined,
  kernel: string,
  opts: ConfigOpts,
  reports: Record<SocketBufferSetting, SettingReport>,
  findings: Finding[],
): string {
  const st = style(process.stdout);
  const out: string[] = [];
  out.push(`${st.bold("tcpwin rocketmq config")}  ${role === "namesrv" ? "name server" : "broker"} ${version}${file ? `, -c ${file}` : ""}; Linux ${kernel}, MSS ${opts.mss}`);
  out.push(st.dim("precedence: config file > -Dcom.rocketmq.remoting.socket.{rcvbuf,sndbuf}.size > version default"));
  out.push("");
  const rows: string[][] = [["setting", "value", "source", "setsockopt", "kernel"]];
  for (const name of SOCKET_BUFFER_SETTINGS) {
    const r = reports[name];
    const s = r.setting;
    const k = r.kernel;
    const kern = !k
      ? "JVM does not start"
      : s.kind === "rcvbuf"
        ? `rb ${k.skBuf}${k.locked ? "" : " (autotuned)"}, window ${k.windowSyn} SYN-ACK / ${k.windowSteady} steady, wscale ${k.wscale}`
        : `tb ${k.skBuf}${k.locked ? "" : " (autotuned)"}`;
    rows.push([name, s.value === null ? "—" : String(s.value), s.source + (s.ignoredFileValue ? " (file value ignored)" : ""), s.applied === null ? "none (kernel)" : String(s.applied), kern]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  rows.forEach((r, i) => {
    const line = r.map((c, j) => (j === r.length - 1 ? c : c.padEnd(widths[j]!))).join("  ");
    out.push(i === 0 ? st.dim(line) : line);
  });
  for (const name of SOCKET_BUFFER_SETTINGS) {
    const t = reports[name].transfer;
    if (!t) continue;
    out.push(
      `  ${name}: ${t.body_bytes} B at ${t.rtt_ms} ms RTT → ${t.bound === "model" ? "≈" : "≥"} ${t.predicted_ms} ms` +
        ` ${t.over_timeout ? st.red(`> ${t.timeout_ms} ms timeout`) : st.green(`≤ ${t.timeout_ms} ms timeout`)}`,
    );
  }
  if (opts.rtt === undefined || opts.bodySize === undefined) out.push(st.dim("  (give --rtt and --body-size to check a REGISTER_BROKER body against --timeout)"));
  out.push("");
  const shown = findings.filter((f) => f.severity !== "info");
  for (const f of shown) out.push(`${f.severity === "error" ? st.red("error") : st.yellow("warning")}: ${f.message}`);
  if (shown.length === 0) out.push(st.green("no findings"));
  out.push("");
  out.push(st.dim("how each value was reached:"));
  for (const name of SOCKET_BUFFER_SETTINGS) {
    out.push(st.dim(`  ${name} — ${reports[name].setting.carries}`));
    for (const step of reports[name].setting.steps) out.push(st.dim(`    ${step}`));
  }
  return out.join("\n") + "\n";
}
