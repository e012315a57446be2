/**
 * @module lab/rocketmq
 * A RocketMQ name server and the registering half of a broker, speaking the real remoting
 * protocol, for reproductions (`tcpwin lab namesrv`, `tcpwin lab broker`, `lab incident`).
 */
export { startNameServer, NameServerError, BROKER_CHANNEL_EXPIRED_MS } from "./name-server.js";
export type { NameServerOptions, NameServerHandle, NameServerExchange, NameServerSettings } from "./name-server.js";
export { runBroker, BrokerError } from "./broker.js";
export type { BrokerOptions, BrokerRun, RegistrationResult } from "./broker.js";
export { RemotingChannel } from "./channel.js";
