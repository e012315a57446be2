/**
 * @module protocols/rocketmq/config/resolve
 * Which socket-buffer sizes a RocketMQ name server or broker really uses, from its `-c` config
 * file, its `-D` JVM properties and its version, with RocketMQ's own precedence. Pure.
 *
 * What RocketMQ does (apache/rocketmq; shared/reference/rocketmq-remoting.md §4):
 * 1. `NettySystemConfig` reads `-Dcom.rocketmq.remoting.socket.sndbuf.size` / `.rcvbuf.size` once,
 *    with `Integer.parseInt(System.getProperty(key, default))` in a static initializer: default
 *    "65535" up to 4.9.2, "0" from 4.9.3 (8fa9ca592c, #3826). A value parseInt rejects throws in
 *    the initializer: the JVM does not start.
 * 2. Startup overrides when the `-D` is absent: NamesrvStartup set both to 4096 up to
 *    4.1.0-incubating (removed in 4.2.0, ROCKETMQ-308); BrokerStartup set both to 131072 in
 *    4.0–4.9.2 (removed by the same 4.9.3 commit). Both ran before the config objects were built.
 * 3. `NettyServerConfig.serverSocket{Snd,Rcv}BufSize` and `NettyClientConfig.clientSocket{Snd,Rcv}BufSize`
 *    start from those statics (field initialisers).
 * 4. The `-c` file goes through `MixAll.properties2Object`, which calls each setter whose key is
 *    present, with `Integer.parseInt(value)` untrimmed (HEAD trims only String values, #7660), and
 *    swallows every exception: `serverSocketRcvBufSize=1024 ` is silently ignored and step 3's value
 *    stays. So: file > -D > version default.
 * 5. The options reach setsockopt only when > 0 (4.9.3+ guards them); up to 4.9.2 they were set
 *    unconditionally, but Java's Socket.setReceiveBufferSize/setSendBufferSize reject ≤ 0 (Netty logs
 *    "Failed to set channel option") — either way, ≤ 0 means no setsockopt: kernel autotuning.
 */
import { javaParseInt } from "./java-int.js";
import type { ParsedProperties, PropertyEntry } from "./java-properties.js";

export type RocketmqRole = "namesrv" | "broker";

export const SOCKET_BUFFER_SETTINGS = ["serverSocketRcvBufSize", "serverSocketSndBufSize", "clientSocketRcvBufSize", "clientSocketSndBufSize"] as const;
export type SocketBufferSetting = (typeof SOCKET_BUFFER_SETTINGS)[number];

export const JVM_SNDBUF_PROPERTY = "com.rocketmq.remoting.socket.sndbuf.size";
export const JVM_RCVBUF_PROPERTY = "com.rocketmq.remoting.socket.rcvbuf.size";

export interface RocketmqVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

/** "4.9.2", "5.3.3", "4.1.0-incubating", "v4.9.8", "rocketmq-all-4.9.2" → numbers; undefined otherwise. */
export function parseRocketmqVersion(text: string): RocketmqVersion | undefined {
  const m = /^(?:rocketmq-all-|v)?(\d+)\.(\d+)\.(\d+)(?:[-.][\w.-]+)?$/i.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: text.trim() };
}

const cmp = (v: RocketmqVersion, a: number, b: number, c: number) => v.major - a || v.minor - b || v.patch - c;
/** 4.9.2 and older: 65535 defaults, options set unconditionally. */
export const isBefore493 = (v: RocketmqVersion) => cmp(v, 4, 9, 3) < 0;

/** A `-Dkey=value` as the JVM keeps it (the last one of a key wins). */
export interface JvmProperty {
  key: string;
  value: string;
}

/**
 * `-D` properties out of a JVM command line fragment (`"-Dk=v -Dk2='a b'"`): words split on
 * whitespace with shell-style single/double quotes and backslashes; `-Dk` alone sets k to "" (as
 * java does); words that are not `-D…` are returned as `other`. Later duplicates win.
 */
export function parseJvmArgs(text: string): { props: Map<string, JvmProperty>; other: string[] } {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let q: '"' | "'" | "" = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (q) {
      if (ch === q) q = "";
      else if (ch === "\\" && q === '"' && i + 1 < text.length && /["\\$`]/.test(text[i + 1]!)) cur += text[++i];
      else cur += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      q = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (q) throw new RangeError(`unterminated ${q} quote in ${JSON.stringify(text)}`);
  if (inWord) words.push(cur);
  const props = new Map<string, JvmProperty>();
  const other: string[] = [];
  for (const w of words) {
    if (!w.startsWith("-D") || w.length === 2) {
      other.push(w);
      continue;
    }
    const eq = w.indexOf("=");
    const key = eq < 0 ? w.slice(2) : w.slice(2, eq);
    props.set(key, { key, value: eq < 0 ? "" : w.slice(eq + 1) });
  }
  return { props, other };
}

export type SettingSource = "file" | "jvm" | "default";

export interface ResolvedSetting {
  name: SocketBufferSetting;
  role: RocketmqRole;
  kind: "rcvbuf" | "sndbuf";
  side: "server" | "client";
  /** The int RocketMQ's config object holds; null when the JVM would not start (bad -D). */
  value: number | null;
  source: SettingSource;
  /** What setsockopt receives; null = not set: the kernel's default and autotuning. */
  applied: number | null;
  /** The version's value when neither file nor -D says anything. */
  versionDefault: number;
  /** Why that default (NettySystemConfig, or a startup override). */
  defaultReason: string;
  jvmProperty: string;
  /** The -D value as given, when present. */
  jvmValue?: string;
  /** The file entry that set it, or that was ignored. */
  fileEntry?: PropertyEntry;
  /** The file had the key but parseInt rejected it: RocketMQ ignored it silently. */
  ignoredFileValue?: { line: number; raw: string; reason: string };
  /** A -D value the file overrode. */
  overriddenJvm?: number;
  /** The -D value parseInt rejects: NettySystemConfig's static initializer throws. */
  jvmFails?: { raw: string; reason: string };
  /** What this buffer carries for this role, in a few words. */
  carries: string;
  /** Lines a person can check by hand: how the value was reached. */
  steps: string[];
}

export interface ResolveInput {
  role: RocketmqRole;
  version: RocketmqVersion;
  /** The -c file, already parsed (and decoded as ISO-8859-1, as Properties.load(InputStream) does). */
  file?: ParsedProperties | undefined;
  jvm: Map<string, JvmProperty>;
}

const CARRIES: Record<RocketmqRole, Record<SocketBufferSetting, string>> = {
  namesrv: {
    serverSocketRcvBufSize: "accepted connections' receive buffer: the window brokers send REGISTER_BROKER bodies into",
    serverSocketSndBufSize: "accepted connections' send buffer: route data and responses to brokers and clients",
    clientSocketRcvBufSize: "the name server's own outgoing connections (not on the registration path)",
    clientSocketSndBufSize: "the name server's own outgoing connections (not on the registration path)",
  },
  broker: {
    serverSocketRcvBufSize: "ports 10911/10909 receive buffer: producers' messages arrive through this window",
    serverSocketSndBufSize: "ports 10911/10909 send buffer: pulled messages and responses to clients",
    clientSocketRcvBufSize: "broker → name server connections' receive buffer: responses (small)",
    clientSocketSndBufSize: "broker → name server connections' send buffer: REGISTER_BROKER bodies leave through it",
  },
};

function versionDefault(role: RocketmqRole, v: RocketmqVersion): { value: number; reason: string } {
  if (role === "namesrv" && cmp(v, 4, 2, 0) < 0) {
    return { value: 4096, reason: `NamesrvStartup up to 4.1.0-incubating forces 4096 when the -D is absent (removed in 4.2.0, ROCKETMQ-308)` };
  }
  if (role === "broker" && isBefore493(v)) {
    return { value: 131072, reason: `BrokerStartup up to 4.9.2 forces 131072 when the -D is absent (removed in 4.9.3, #3826)` };
  }
  if (isBefore493(v)) return { value: 65535, reason: `NettySystemConfig default up to 4.9.2` };
  return { value: 0, reason: `NettySystemConfig default from 4.9.3 (#3826): 0 = not set, the kernel autotunes` };
}

export function resolveSocketBuffers(input: ResolveInput): Record<SocketBufferSetting, ResolvedSetting> {
  const { role, version, file, jvm } = input;
  const out = {} as Record<SocketBufferSetting, ResolvedSetting>;
  const old = isBefore493(version);
  for (const name of SOCKET_BUFFER_SETTINGS) {
    const kind = name.includes("Rcv") ? "rcvbuf" : "sndbuf";
    const side = name.startsWith("server") ? "server" : "client";
    const jvmProperty = kind === "rcvbuf" ? JVM_RCVBUF_PROPERTY : JVM_SNDBUF_PROPERTY;
    const def = versionDefault(role, version);
    const steps: string[] = [];
    const s: ResolvedSetting = {
      name,
      role,
      kind,
      side,
      value: def.value,
      source: "default",
      applied: null,
      versionDefault: def.value,
      defaultReason: def.reason,
      jvmProperty,
      carries: CARRIES[role][name],
      steps,
    };
    const d = jvm.get(jvmProperty);
    if (d) {
      s.jvmValue = d.value;
      const p = javaParseInt(d.value);
      if (p.ok) {
        s.value = p.value;
        s.source = "jvm";
        steps.push(`-D${jvmProperty}=${d.value} → NettySystemConfig = ${p.value}`);
      } else {
        s.value = null;
        s.source = "jvm";
        s.jvmFails = { raw: d.value, reason: p.reason };
        steps.push(
          `-D${jvmProperty}=${JSON.stringify(d.value)}: Integer.parseInt rejects it (${p.reason}); NettySystemConfig's static initializer throws, the JVM does not start`,
        );
      }
    } else {
      steps.push(`no -D${jvmProperty} → ${def.value} (${def.reason})`);
    }
    const e = file?.map.get(name);
    if (e && s.value !== null) {
      s.fileEntry = e;
      const p = javaParseInt(e.value);
      if (p.ok) {
        if (s.source === "jvm" && s.value !== p.value) s.overriddenJvm = s.value;
        steps.push(`config file line ${e.line}: ${name}=${e.value} → ${p.value} (properties2Object: the file overrides ${s.source === "jvm" ? "the -D" : "the default"})`);
        s.value = p.value;
        s.source = "file";
      } else {
        s.ignoredFileValue = { line: e.line, raw: e.value, reason: p.reason };
        steps.push(
          `config file line ${e.line}: ${name}=${JSON.stringify(e.value)} — Integer.parseInt rejects it (${p.reason}) and properties2Object swallows the exception: ` +
            `ignored, ${s.value} (${s.source === "jvm" ? "from -D" : "the default"}) stays`,
        );
      }
    }
    if (s.value !== null) {
      s.applied = s.value > 0 ? s.value : null;
      if (s.applied === null) {
        steps.push(
          old
            ? `${s.value} ≤ 0: 4.9.2 and older pass it to Netty unconditionally, Java rejects it ("Failed to set channel option" in the log): no setsockopt, the kernel autotunes`
            : `${s.value} ≤ 0: RocketMQ ≥ 4.9.3 sets the option only when > 0: no setsockopt, the kernel autotunes`,
        );
      } else {
        const how = side === "server" ? "Netty childOption on accepted sockets" : "Netty Bootstrap.option before connect";
        steps.push(`setsockopt(${kind === "rcvbuf" ? "SO_RCVBUF" : "SO_SNDBUF"}, ${s.value}) through ${how}`);
      }
    }
    out[name] = s;
  }
  return out;
}
