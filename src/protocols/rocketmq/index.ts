/**
 * @module protocols/rocketmq
 * RocketMQ remoting: the frame codec (JSON and ROCKETMQ binary headers), the code tables, the
 * REGISTER_BROKER / QUERY_DATA_VERSION / GET_ROUTEINFO_BY_TOPIC bodies, a chunked frame stream,
 * and the exchange tracker that plugs into the TCP analysis as the "rocketmq" StreamFactory.
 */
export * from "./codes.js";
export * from "./crc32.js";
export * from "./json.js";
export * from "./frame.js";
export * from "./frame-stream.js";
export * from "./register-broker.js";
export * from "./route-data.js";
export * from "./exchange-tracker.js";
