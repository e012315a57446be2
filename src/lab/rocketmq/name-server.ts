/**
 * @module lab/rocketmq/name-server
 * A RocketMQ name server for the lab, speaking the real remoting protocol (JSON headers) through
 * the codec in protocols/rocketmq: it keeps route data from REGISTER_BROKER (103), answers
 * QUERY_DATA_VERSION (322) and GET_ROUTEINFO_BY_TOPIC (105) with the bodies a real name server
 * sends, refuses other codes with REQUEST_CODE_NOT_SUPPORTED as DefaultRequestProcessor does.
 *
 * Configuration as NamesrvStartup reads it: a `-c` properties file (listenPort,
 * serverSocketRcvBufSize, serverSocketSndBufSize) and `-D` overrides, resolved with
 * protocols/rocketmq/config (file > -D > version default). The buffers go on the sockets before the
 * handshake by default (`apply: "listener"`): set on the listening socket before listen(), so
 * accepted sockets inherit them and the window scale is chosen from them — what makes the SYN-ACK
 * advertise 1148 for serverSocketRcvBufSize=1024, as in the incident's capture. `apply: "accepted"`
 * does literally what Netty's childOption does: setsockopt on each accepted socket after the
 * handshake (the window scale is then already fixed from the default buffer; reference
 * linux-tcp-internals.md §4). A request is answered once its whole frame has arrived, as Netty's
 * LengthFieldBasedFrameDecoder hands it over.
 *
 * Route tables follow RouteInfoManager (4.9.x): clusterAddrTable, brokerAddrTable, topicQueueTable,
 * brokerLiveTable; a broker not heard from for 120 s is dropped (scanNotActiveBroker, every 10 s).
 */
import net from "node:net";
import { readFileSync } from "node:fs";
import { TcpwinError } from "../../errors.js";
import {
  decodeDataVersion,
  decodeRegisterBrokerBody,
  getRouteInfoResponse,
  queryDataVersionResponse,
  requestCodeName,
  rocketmqCrc32,
  versionOrdinal,
  type DataVersion,
  type EncodeCommand,
  type StreamFrame,
  type TopicRouteData,
} from "../../protocols/rocketmq/index.js";
import {
  decodeLatin1,
  javaParseInt,
  parseJavaProperties,
  parseJvmArgs,
  parseRocketmqVersion,
  resolveSocketBuffers,
  type ParsedProperties,
  type ResolvedSetting,
} from "../../protocols/rocketmq/config/index.js";
import { listenTuned, socketFd, tuningReport, type TuningReport } from "../tuned-socket.js";
import { setIntOpt, SOL_SOCKET, SO_RCVBUF, SO_SNDBUF } from "../../kernel/sockopt.js";
import { RemotingChannel } from "./channel.js";

/** RouteInfoManager.BROKER_CHANNEL_EXPIRED_TIME. */
export const BROKER_CHANNEL_EXPIRED_MS = 120_000;
const SCAN_NOT_ACTIVE_MS = 10_000;

export interface NameServerOptions {
  /** Path of the `-c` properties file. */
  configFile?: string;
  /** Or its text (as characters, load(Reader)). */
  configText?: string;
  /** JVM options: "-Dcom.rocketmq.remoting.socket.rcvbuf.size=1048576 …". */
  jvm?: string;
  /** RocketMQ version to behave as (defaults and the `version` it answers with). Default 4.9.8. */
  version?: string;
  /** Address to listen on (NettyRemotingServer binds all addresses). Default 0.0.0.0. */
  host?: string;
  /** Overrides the file's listenPort (0 = any free port). Default: listenPort, else 9876. */
  port?: number;
  /** Where the buffers are set: on the listener before listen() (default) or on each accepted socket. */
  apply?: "listener" | "accepted";
  /** TCP_MAXSEG on the listener, for lab runs without an MTU-limited link. */
  mss?: number;
  onExchange?: (e: NameServerExchange) => void;
  onConnection?: (c: { peer: string; accepted: TuningReport }) => void;
  onError?: (message: string) => void;
}

/** One request the name server answered. */
export interface NameServerExchange {
  peer: string;
  code: number;
  name: string;
  opaque: number;
  version: number;
  language: string;
  /** Whole request frame, bytes. */
  request_bytes: number;
  body_bytes: number;
  /** From the request's first byte to its last (the body trickling through the window), ms. */
  receive_ms: number;
  response_code: number;
  remark: string | null;
  /** REGISTER_BROKER: the broker and how many topics it registered. */
  broker_name?: string;
  broker_addr?: string;
  topics?: number;
  changed?: boolean;
  topic?: string;
}

export interface NameServerSettings {
  listenPort: number;
  listenPortSource: "file" | "default" | "option";
  serverSocketRcvBufSize: ResolvedSetting;
  serverSocketSndBufSize: ResolvedSetting;
  /** What the listener was given and what the kernel made of it. */
  listener: TuningReport;
  apply: "listener" | "accepted";
}

export interface NameServerHandle {
  host: string;
  port: number;
  settings: NameServerSettings;
  /** The route a client asking for `topic` would get (null: TOPIC_NOT_EXIST). */
  route(topic: string): TopicRouteData | null;
  /** Registered brokers: addr → last update (ms since epoch). */
  brokers(): Map<string, { brokerName: string; clusterName: string; lastUpdateMs: number; dataVersion: DataVersion | null; topics: number }>;
  close(): Promise<void>;
}

interface BrokerLive {
  brokerName: string;
  clusterName: string;
  brokerId: number;
  haServerAddr: string;
  lastUpdateMs: number;
  dataVersion: DataVersion | null;
  topics: number;
  channel: RemotingChannel;
}

interface QueueEntry {
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

/** Why the name server could not start. */
export class NameServerError extends TcpwinError {
  override readonly name = "NameServerError";
}

function loadConfig(opts: NameServerOptions): ParsedProperties | undefined {
  let text = opts.configText;
  if (opts.configFile !== undefined) {
    try {
      text = decodeLatin1(readFileSync(opts.configFile));
    } catch (e) {
      throw new NameServerError("config_unreadable", `cannot read ${opts.configFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  }
  if (text === undefined) return undefined;
  const p = parseJavaProperties(text);
  if (p.error) throw new NameServerError("config_malformed", `${opts.configFile ?? "config"}: ${p.error.message}`);
  return p;
}

export async function startNameServer(opts: NameServerOptions = {}): Promise<NameServerHandle> {
  const versionText = opts.version ?? "4.9.8";
  const version = parseRocketmqVersion(versionText);
  if (!version) throw new NameServerError("bad_version", `version ${JSON.stringify(versionText)}: expected e.g. 4.9.2`);
  const ordinal = versionOrdinal(`${version.major}.${version.minor}.${version.patch}`);
  const file = loadConfig(opts);
  let jvm;
  try {
    jvm = parseJvmArgs(opts.jvm ?? "");
  } catch (e) {
    throw new NameServerError("bad_jvm", `jvm options: ${(e as Error).message}`);
  }
  const resolved = resolveSocketBuffers({ role: "namesrv", version, file, jvm: jvm.props });
  const rcv = resolved.serverSocketRcvBufSize;
  const snd = resolved.serverSocketSndBufSize;
  for (const s of [rcv, snd]) {
    if (s.jvmFails) throw new NameServerError("jvm_property", `-D${s.jvmProperty}=${JSON.stringify(s.jvmFails.raw)}: ${s.jvmFails.reason}; a Java name server would not start either`);
  }
  // nettyServerConfig.setListenPort(9876), then properties2Object (parseInt, errors swallowed).
  let listenPort = 9876;
  let listenPortSource: NameServerSettings["listenPortSource"] = "default";
  const lp = file?.map.get("listenPort");
  if (lp) {
    const p = javaParseInt(lp.value);
    if (p.ok) {
      listenPort = p.value;
      listenPortSource = "file";
    }
  }
  if (opts.port !== undefined) {
    listenPort = opts.port;
    listenPortSource = "option";
  }
  if (!(listenPort >= 0 && listenPort <= 65535)) throw new NameServerError("bad_port", `listenPort ${listenPort} is not a TCP port`);
  const apply = opts.apply ?? "listener";
  const bufs = { rcvbuf: rcv.applied ?? undefined, sndbuf: snd.applied ?? undefined };
  const host = opts.host ?? "0.0.0.0";
  const l = await listenTuned(host, listenPort, apply === "listener" ? { ...bufs, mss: opts.mss } : { mss: opts.mss }, 1024);

  const brokerLive = new Map<string, BrokerLive>();
  /** brokerName → { cluster, brokerAddrs (id → addr) } */
  const brokerAddrTable = new Map<string, { cluster: string; brokerAddrs: Map<number, string> }>();
  /** topic → brokerName → queue data */
  const topicQueueTable = new Map<string, Map<string, QueueEntry>>();
  const channels = new Set<RemotingChannel>();

  const removeBroker = (addr: string) => {
    const live = brokerLive.get(addr);
    if (!live) return;
    brokerLive.delete(addr);
    const bd = brokerAddrTable.get(live.brokerName);
    if (bd) {
      for (const [id, a] of bd.brokerAddrs) if (a === addr) bd.brokerAddrs.delete(id);
      if (bd.brokerAddrs.size === 0) {
        brokerAddrTable.delete(live.brokerName);
        for (const [topic, q] of topicQueueTable) {
          q.delete(live.brokerName);
          if (q.size === 0) topicQueueTable.delete(topic);
        }
      }
    }
  };
  const scan = setInterval(() => {
    const now = Date.now();
    for (const [addr, b] of brokerLive) if (now - b.lastUpdateMs > BROKER_CHANNEL_EXPIRED_MS) removeBroker(addr);
  }, SCAN_NOT_ACTIVE_MS);
  scan.unref();

  const route = (topic: string): TopicRouteData | null => {
    const q = topicQueueTable.get(topic);
    if (!q || q.size === 0) return null;
    const r: TopicRouteData = { brokerDatas: [], queueDatas: [], filterServerTable: {} };
    for (const [brokerName, e] of q) {
      r.queueDatas.push({ brokerName, ...e });
      const bd = brokerAddrTable.get(brokerName);
      if (bd) r.brokerDatas.push({ cluster: bd.cluster, brokerName, brokerAddrs: Object.fromEntries(bd.brokerAddrs) });
    }
    return r.brokerDatas.length > 0 ? r : null;
  };

  const respond = (ch: RemotingChannel, f: StreamFrame, cmd: EncodeCommand, extra: Partial<NameServerExchange> = {}) => {
    ch.send(cmd);
    const h = f.header;
    opts.onExchange?.({
      peer: ch.peer,
      code: h.code,
      name: requestCodeName(h.code, h.version),
      opaque: h.opaque,
      version: h.version,
      language: h.language,
      request_bytes: f.frameBytes,
      body_bytes: f.bodyLen,
      receive_ms: Math.round((f.lastTsNs - f.firstTsNs) / 1e3) / 1e3,
      response_code: cmd.code,
      remark: cmd.remark ?? null,
      ...extra,
    });
  };

  const onRegister = (ch: RemotingChannel, f: StreamFrame) => {
    const h = f.header;
    const ext = h.extFields ?? {};
    const sysError = (remark: string) => respond(ch, f, { code: 1, flag: 1, opaque: h.opaque, version: ordinal, remark });
    const need = ["brokerName", "brokerAddr", "clusterName", "haServerAddr", "brokerId"].filter((k) => ext[k] === undefined);
    if (need.length) return sysError(`the custom field <${need[0]}> is null`);
    // decodeCommandCustomHeader: brokerId is a Long; a value that is not one fails the request.
    if (!/^-?\d{1,18}$/.test(ext.brokerId!)) return sysError(`the custom field <brokerId> is not a number: ${JSON.stringify(ext.brokerId)}`);
    const body = f.body ?? new Uint8Array(0);
    // DefaultRequestProcessor.checksum: only a non-zero bodyCrc32 is checked.
    const crc = Number(ext.bodyCrc32 ?? 0);
    if (crc !== 0 && rocketmqCrc32(body) !== crc) return sysError("crc32 not match");
    let topics: { name: string; q: QueueEntry }[] = [];
    let dataVersion: DataVersion | null = null;
    if (body.length > 0) {
      const d = decodeRegisterBrokerBody(body, ext.compressed === "true");
      if (!d.ok) return sysError(d.error.message);
      dataVersion = d.value.body.dataVersion;
      topics = d.value.body.topics.map((t) => ({ name: t.topicName, q: { readQueueNums: t.readQueueNums, writeQueueNums: t.writeQueueNums, perm: t.perm, topicSysFlag: t.topicSysFlag } }));
    }
    const brokerName = ext.brokerName!;
    const brokerAddr = ext.brokerAddr!;
    const brokerId = Number(ext.brokerId);
    let bd = brokerAddrTable.get(brokerName);
    if (!bd) brokerAddrTable.set(brokerName, (bd = { cluster: ext.clusterName!, brokerAddrs: new Map() }));
    // One address per id: a broker that moved replaces its old entry.
    for (const [id, a] of bd.brokerAddrs) if (a === brokerAddr && id !== brokerId) bd.brokerAddrs.delete(id);
    bd.brokerAddrs.set(brokerId, brokerAddr);
    // Only a master's topic config creates or updates queue data (RouteInfoManager.registerBroker).
    if (brokerId === 0) for (const t of topics) {
      let q = topicQueueTable.get(t.name);
      if (!q) topicQueueTable.set(t.name, (q = new Map()));
      q.set(brokerName, t.q);
    }
    brokerLive.set(brokerAddr, { brokerName, clusterName: ext.clusterName!, brokerId, haServerAddr: ext.haServerAddr!, lastUpdateMs: Date.now(), dataVersion, topics: topics.length, channel: ch });
    const ext2: Record<string, string> = {};
    if (brokerId !== 0) {
      const master = bd.brokerAddrs.get(0);
      if (master) {
        ext2.masterAddr = master;
        const ml = brokerLive.get(master);
        if (ml) ext2.haServerAddr = ml.haServerAddr;
      }
    }
    respond(ch, f, { code: 0, flag: 1, opaque: h.opaque, version: ordinal, extFields: ext2 }, { broker_name: brokerName, broker_addr: brokerAddr, topics: topics.length });
  };

  const onQueryDataVersion = (ch: RemotingChannel, f: StreamFrame) => {
    const h = f.header;
    const ext = h.extFields ?? {};
    const addr = ext.brokerAddr ?? "";
    const dv = f.body ? decodeDataVersion(f.body) : null;
    const live = brokerLive.get(addr);
    const changed = !live || !dv || !live.dataVersion || live.dataVersion.counter !== dv.counter || live.dataVersion.timestamp !== dv.timestamp;
    // 4.9.8 refreshes the broker only when unchanged; 5.x always (reference §3, name server expiry).
    if (live && (!changed || version.major >= 5)) live.lastUpdateMs = Date.now();
    respond(ch, f, queryDataVersionResponse(h, changed, live?.dataVersion ?? null, ordinal), { changed, broker_addr: addr });
  };

  const onFrame = (f: StreamFrame, ch: RemotingChannel) => {
    const h = f.header;
    if ((h.flag & 1) !== 0) return; // a response: nothing asked it
    if (h.code === 103) return onRegister(ch, f);
    if (h.code === 322) return onQueryDataVersion(ch, f);
    if (h.code === 105) {
      const topic = h.extFields?.topic ?? "";
      return respond(ch, f, getRouteInfoResponse(h, topic, route(topic), ordinal), { topic });
    }
    if ((h.flag & 2) !== 0) return; // oneway: no answer
    respond(ch, f, { code: 3, flag: 1, opaque: h.opaque, version: ordinal, remark: ` request type ${h.code} not supported` });
  };

  l.server.on("connection", (sock: net.Socket) => {
    const fd = socketFd(sock);
    if (apply === "accepted" && fd >= 0) {
      // Netty childOption: after accept, the handshake already done.
      if (bufs.sndbuf !== undefined) setIntOpt(fd, SOL_SOCKET, SO_SNDBUF, bufs.sndbuf);
      if (bufs.rcvbuf !== undefined) setIntOpt(fd, SOL_SOCKET, SO_RCVBUF, bufs.rcvbuf);
    }
    sock.setNoDelay(true);
    const ch = new RemotingChannel(sock, {
      onFrame: (f, c) => onFrame(f, c),
      onError: (m) => opts.onError?.(m),
      onClose: (c) => channels.delete(c),
    });
    channels.add(ch);
    if (fd >= 0) opts.onConnection?.({ peer: ch.peer, accepted: tuningReport(fd, bufs) });
  });

  let closing: Promise<void> | undefined;
  return {
    host,
    port: l.port,
    settings: { listenPort, listenPortSource, serverSocketRcvBufSize: rcv, serverSocketSndBufSize: snd, listener: l.report, apply },
    route,
    brokers: () => new Map([...brokerLive].map(([a, b]) => [a, { brokerName: b.brokerName, clusterName: b.clusterName, lastUpdateMs: b.lastUpdateMs, dataVersion: b.dataVersion, topics: b.topics }])),
    close: () =>
      (closing ??= new Promise<void>((res) => {
        clearInterval(scan);
        for (const c of channels) c.close();
        l.server.close(() => res());
      })),
  };
}
