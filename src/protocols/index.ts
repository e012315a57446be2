/**
 * @module protocols
 * Application protocols decoded from reassembled TCP streams (they implement tcp/stream's
 * StreamFactory; tcp/ never imports them).
 */
export * from "./rocketmq/index.js";
