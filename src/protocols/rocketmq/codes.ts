/**
 * @module protocols/rocketmq/codes
 * The remoting protocol's number tables: request codes, response codes, language codes and the
 * `version` ordinal → release name. Values are apache/rocketmq's `RequestCode.java`,
 * `ResponseCode.java` (+ `RemotingSysResponseCode.java`), `LanguageCode.java` and
 * `MQVersion.Version` (see shared/reference/rocketmq-remoting.md §1–2). Where a number means
 * different things in different releases, the name depends on the sender's `version`.
 */

/** `MQVersion.Version` ordinals of the release boundaries this module reasons about. */
export const V4_0_0 = 213;
export const V4_9_3 = 399;
export const V5_0_0 = 413;
export const V5_1_0 = 433;
export const V5_3_0 = 473;
export const V5_3_3 = 479;

/**
 * The `MQVersion.Version` enum in order: 16 V3_0_0 pre-releases, then SNAPSHOT/release pairs for
 * 3.0.1–3.0.15, 3.1.0–3.2.9, 3.3.1–3.9.9 (no x.y.0 in 3.3–3.9), 4.0.0–5.9.9, then HIGHER_VERSION.
 * Built rather than listed: the enum's regularity is the fact; ordinals are checked in tests
 * against the reference's examples (293 = V4_4_0, 401 = V4_9_4, 413 = V5_0_0, 479 = V5_3_3).
 */
const VERSION_NAMES: readonly string[] = (() => {
  const v: string[] = ["V3_0_0_SNAPSHOT", "V3_0_0_ALPHA1"];
  for (let b = 1; b <= 9; b++) {
    if (b >= 6) v.push(`V3_0_0_BETA${b}_SNAPSHOT`);
    v.push(`V3_0_0_BETA${b}`);
  }
  v.push("V3_0_0_FINAL");
  const pair = (name: string) => v.push(`${name}_SNAPSHOT`, name);
  for (let p = 1; p <= 15; p++) pair(`V3_0_${p}`);
  for (let m = 1; m <= 2; m++) for (let p = 0; p <= 9; p++) pair(`V3_${m}_${p}`);
  for (let m = 3; m <= 9; m++) for (let p = 1; p <= 9; p++) pair(`V3_${m}_${p}`);
  for (let M = 4; M <= 5; M++) for (let m = 0; m <= 9; m++) for (let p = 0; p <= 9; p++) pair(`V${M}_${m}_${p}`);
  v.push("HIGHER_VERSION");
  return v;
})();

/**
 * The release name of a `version` ordinal, as `MQVersion.getVersionDesc` gives it: values past the
 * table's end read as its last entry (HIGHER_VERSION); negative values (a binary header's int16
 * read signed) have no name.
 */
export function versionName(version: number): string {
  if (!Number.isInteger(version) || version < 0) return `UNKNOWN_VERSION(${version})`;
  return VERSION_NAMES[Math.min(version, VERSION_NAMES.length - 1)]!;
}

/** The ordinal of a release name ("V4_9_2" or "4.9.2"), -1 if unknown. */
export function versionOrdinal(name: string): number {
  const n = /^\d/.test(name) ? `V${name.replace(/[.-]/g, "_")}` : name;
  return VERSION_NAMES.indexOf(n.toUpperCase());
}

/** `LanguageCode.java`: the binary header carries the ordinal, the JSON header the name. */
export const LANGUAGE_NAMES: readonly string[] = ["JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS"];

export function languageName(code: number): string {
  return LANGUAGE_NAMES[code] ?? `UNKNOWN_LANGUAGE(${code})`;
}
/** -1 for a name the table lacks (a newer client); the frame still decodes. */
export function languageCode(name: string): number {
  return LANGUAGE_NAMES.indexOf(name);
}

/** Request codes whose names never changed meaning. */
const REQUEST: Record<number, string> = {
  10: "SEND_MESSAGE", 11: "PULL_MESSAGE", 12: "QUERY_MESSAGE", 13: "QUERY_BROKER_OFFSET", 14: "QUERY_CONSUMER_OFFSET",
  15: "UPDATE_CONSUMER_OFFSET", 17: "UPDATE_AND_CREATE_TOPIC", 18: "UPDATE_AND_CREATE_TOPIC_LIST", 21: "GET_ALL_TOPIC_CONFIG",
  22: "GET_TOPIC_CONFIG_LIST", 23: "GET_TOPIC_NAME_LIST", 25: "UPDATE_BROKER_CONFIG", 26: "GET_BROKER_CONFIG",
  27: "TRIGGER_DELETE_FILES", 28: "GET_BROKER_RUNTIME_INFO", 29: "SEARCH_OFFSET_BY_TIMESTAMP", 30: "GET_MAX_OFFSET",
  31: "GET_MIN_OFFSET", 32: "GET_EARLIEST_MSG_STORETIME", 33: "VIEW_MESSAGE_BY_ID", 34: "HEART_BEAT", 35: "UNREGISTER_CLIENT",
  36: "CONSUMER_SEND_MSG_BACK", 37: "END_TRANSACTION", 38: "GET_CONSUMER_LIST_BY_GROUP", 39: "CHECK_TRANSACTION_STATE",
  40: "NOTIFY_CONSUMER_IDS_CHANGED", 41: "LOCK_BATCH_MQ", 42: "UNLOCK_BATCH_MQ", 43: "GET_ALL_CONSUMER_OFFSET",
  45: "GET_ALL_DELAY_OFFSET", 46: "CHECK_CLIENT_CONFIG", 47: "GET_CLIENT_CONFIG", 54: "GET_BROKER_CLUSTER_ACL_CONFIG",
  60: "GET_TIMER_CHECK_POINT", 61: "GET_TIMER_METRICS",
  100: "PUT_KV_CONFIG", 101: "GET_KV_CONFIG", 102: "DELETE_KV_CONFIG", 103: "REGISTER_BROKER", 104: "UNREGISTER_BROKER",
  105: "GET_ROUTEINFO_BY_TOPIC", 106: "GET_BROKER_CLUSTER_INFO",
  200: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP", 201: "GET_ALL_SUBSCRIPTIONGROUP_CONFIG", 202: "GET_TOPIC_STATS_INFO",
  203: "GET_CONSUMER_CONNECTION_LIST", 204: "GET_PRODUCER_CONNECTION_LIST", 205: "WIPE_WRITE_PERM_OF_BROKER",
  206: "GET_ALL_TOPIC_LIST_FROM_NAMESERVER", 207: "DELETE_SUBSCRIPTIONGROUP", 208: "GET_CONSUME_STATS", 209: "SUSPEND_CONSUMER",
  210: "RESUME_CONSUMER", 211: "RESET_CONSUMER_OFFSET_IN_CONSUMER", 212: "RESET_CONSUMER_OFFSET_IN_BROKER",
  213: "ADJUST_CONSUMER_THREAD_POOL", 214: "WHO_CONSUME_THE_MESSAGE", 215: "DELETE_TOPIC_IN_BROKER", 216: "DELETE_TOPIC_IN_NAMESRV",
  217: "REGISTER_TOPIC_IN_NAMESRV", 219: "GET_KVLIST_BY_NAMESPACE", 220: "RESET_CONSUMER_CLIENT_OFFSET",
  221: "GET_CONSUMER_STATUS_FROM_CLIENT", 222: "INVOKE_BROKER_TO_RESET_OFFSET", 223: "INVOKE_BROKER_TO_GET_CONSUMER_STATUS",
  224: "GET_TOPICS_BY_CLUSTER", 225: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST",
  300: "QUERY_TOPIC_CONSUME_BY_WHO", 301: "REGISTER_FILTER_SERVER", 302: "REGISTER_MESSAGE_FILTER_CLASS", 303: "QUERY_CONSUME_TIME_SPAN",
  304: "GET_SYSTEM_TOPIC_LIST_FROM_NS", 305: "GET_SYSTEM_TOPIC_LIST_FROM_BROKER", 306: "CLEAN_EXPIRED_CONSUMEQUEUE",
  307: "GET_CONSUMER_RUNNING_INFO", 308: "QUERY_CORRECTION_OFFSET", 309: "CONSUME_MESSAGE_DIRECTLY", 310: "SEND_MESSAGE_V2",
  311: "GET_UNIT_TOPIC_LIST", 312: "GET_HAS_UNIT_SUB_TOPIC_LIST", 313: "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST", 314: "CLONE_GROUP_OFFSET",
  315: "VIEW_BROKER_STATS_DATA", 316: "CLEAN_UNUSED_TOPIC", 317: "GET_BROKER_CONSUME_STATS", 318: "UPDATE_NAMESRV_CONFIG",
  319: "GET_NAMESRV_CONFIG", 320: "SEND_BATCH_MESSAGE", 321: "QUERY_CONSUME_QUEUE", 322: "QUERY_DATA_VERSION",
  323: "RESUME_CHECK_HALF_MESSAGE", 324: "SEND_REPLY_MESSAGE", 325: "SEND_REPLY_MESSAGE_V2", 326: "PUSH_REPLY_MESSAGE_TO_CLIENT",
  327: "ADD_WRITE_PERM_OF_BROKER", 328: "GET_ALL_PRODUCER_INFO", 329: "DELETE_EXPIRED_COMMITLOG", 343: "QUERY_TOPICS_BY_CONSUMER",
  345: "QUERY_SUBSCRIPTION_BY_CONSUMER", 351: "GET_TOPIC_CONFIG", 352: "GET_SUBSCRIPTIONGROUP_CONFIG",
  353: "UPDATE_AND_GET_GROUP_FORBIDDEN", 354: "CHECK_ROCKSDB_CQ_WRITE_PROGRESS", 361: "LITE_PULL_MESSAGE",
  400: "QUERY_ASSIGNMENT", 401: "SET_MESSAGE_REQUEST_MODE", 402: "GET_ALL_MESSAGE_REQUEST_MODE", 513: "UPDATE_AND_CREATE_STATIC_TOPIC",
  901: "GET_BROKER_MEMBER_GROUP", 902: "ADD_BROKER", 903: "REMOVE_BROKER", 904: "BROKER_HEARTBEAT", 905: "NOTIFY_MIN_BROKER_ID_CHANGE",
  906: "EXCHANGE_BROKER_HA_INFO", 907: "GET_BROKER_HA_STATUS", 908: "RESET_MASTER_FLUSH_OFFSET",
  1001: "CONTROLLER_ALTER_SYNC_STATE_SET", 1002: "CONTROLLER_ELECT_MASTER", 1003: "CONTROLLER_REGISTER_BROKER",
  1004: "CONTROLLER_GET_REPLICA_INFO", 1005: "CONTROLLER_GET_METADATA_INFO", 1006: "CONTROLLER_GET_SYNC_STATE_DATA",
  1007: "GET_BROKER_EPOCH_CACHE", 1008: "NOTIFY_BROKER_ROLE_CHANGED", 1009: "UPDATE_CONTROLLER_CONFIG", 1010: "GET_CONTROLLER_CONFIG",
  1011: "CLEAN_BROKER_DATA", 1012: "CONTROLLER_GET_NEXT_BROKER_ID", 1013: "CONTROLLER_APPLY_BROKER_ID",
  1014: "BROKER_CLOSE_CHANNEL_REQUEST", 1015: "CHECK_NOT_ACTIVE_BROKER_REQUEST", 1016: "GET_BROKER_LIVE_INFO_REQUEST",
  1017: "GET_SYNC_STATE_DATA_REQUEST", 1018: "RAFT_BROKER_HEART_BEAT_EVENT_REQUEST",
  2001: "UPDATE_COLD_DATA_FLOW_CTR_CONFIG", 2002: "REMOVE_COLD_DATA_FLOW_CTR_CONFIG", 2003: "GET_COLD_DATA_FLOW_CTR_INFO",
  2004: "SET_COMMITLOG_READ_MODE",
  // POP: 5.0 declared these as ints 200050…; later releases as shorts 3442… Both appear on the wire.
  3442: "POP_MESSAGE", 3443: "ACK_MESSAGE", 3444: "PEEK_MESSAGE", 3445: "CHANGE_MESSAGE_INVISIBLETIME", 3446: "NOTIFICATION",
  3447: "POLLING_INFO", 3543: "BATCH_ACK_MESSAGE",
  200050: "POP_MESSAGE", 200051: "ACK_MESSAGE", 200052: "PEEK_MESSAGE", 200053: "CHANGE_MESSAGE_INVISIBLETIME",
  200054: "NOTIFICATION", 200055: "POLLING_INFO", 200151: "BATCH_ACK_MESSAGE",
};

/** ACL 1.0 request codes: present through 5.3.2, removed in 5.3.3 (RIP-77). */
const ACL_V1_REQUEST: Record<number, string> = {
  50: "UPDATE_AND_CREATE_ACL_CONFIG", 51: "DELETE_ACL_CONFIG", 52: "GET_BROKER_CLUSTER_ACL_INFO", 53: "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG",
};
/** AUTH (RIP-68) request codes: from 5.3.0. */
const AUTH_REQUEST: Record<number, string> = {
  3001: "AUTH_CREATE_USER", 3002: "AUTH_UPDATE_USER", 3003: "AUTH_DELETE_USER", 3004: "AUTH_GET_USER", 3005: "AUTH_LIST_USER",
  3006: "AUTH_CREATE_ACL", 3007: "AUTH_UPDATE_ACL", 3008: "AUTH_DELETE_ACL", 3009: "AUTH_GET_ACL", 3010: "AUTH_LIST_ACL",
};

/**
 * The name of a request code as the sender's release knows it. `version` < 0 means unknown: then
 * a code with names in different releases gets the one from the newest release that has one.
 * Unknown codes read "UNKNOWN(<code>)" so a table is never silently wrong.
 */
export function requestCodeName(code: number, version = -1): string {
  const n = REQUEST[code];
  if (n !== undefined) return n;
  const acl = ACL_V1_REQUEST[code];
  if (acl !== undefined && (version < 0 || version < V5_3_3)) return acl;
  const auth = AUTH_REQUEST[code];
  if (auth !== undefined && (version < 0 || version >= V5_3_0)) return auth;
  return `UNKNOWN(${code})`;
}

const RESPONSE: Record<number, string> = {
  0: "SUCCESS", 1: "SYSTEM_ERROR", 2: "SYSTEM_BUSY", 3: "REQUEST_CODE_NOT_SUPPORTED", 4: "TRANSACTION_FAILED",
  10: "FLUSH_DISK_TIMEOUT", 11: "SLAVE_NOT_AVAILABLE", 12: "FLUSH_SLAVE_TIMEOUT", 13: "MESSAGE_ILLEGAL", 14: "SERVICE_NOT_AVAILABLE",
  15: "VERSION_NOT_SUPPORTED", 16: "NO_PERMISSION", 17: "TOPIC_NOT_EXIST", 18: "TOPIC_EXIST_ALREADY", 19: "PULL_NOT_FOUND",
  20: "PULL_RETRY_IMMEDIATELY", 21: "PULL_OFFSET_MOVED", 22: "QUERY_NOT_FOUND", 23: "SUBSCRIPTION_PARSE_FAILED",
  24: "SUBSCRIPTION_NOT_EXIST", 25: "SUBSCRIPTION_NOT_LATEST", 26: "SUBSCRIPTION_GROUP_NOT_EXIST", 27: "FILTER_DATA_NOT_EXIST",
  28: "FILTER_DATA_NOT_LATEST", 29: "INVALID_PARAMETER",
  200: "TRANSACTION_SHOULD_COMMIT", 201: "TRANSACTION_SHOULD_ROLLBACK", 202: "TRANSACTION_STATE_UNKNOW",
  203: "TRANSACTION_STATE_GROUP_WRONG", 204: "NO_BUYER_ID", 205: "NOT_IN_CURRENT_UNIT", 206: "CONSUMER_NOT_ONLINE",
  207: "CONSUME_MSG_TIMEOUT", 208: "NO_MESSAGE", 212: "BROKER_DISPATCH_NOT_COMPLETE", 213: "BROADCAST_CONSUMPTION", 215: "FLOW_CONTROL",
  501: "NOT_LEADER_FOR_QUEUE", 604: "ILLEGAL_OPERATION", 1500: "GO_AWAY",
  [-1000]: "RPC_UNKNOWN", [-1002]: "RPC_ADDR_IS_NULL", [-1004]: "RPC_SEND_TO_CHANNEL_FAILED", [-1006]: "RPC_TIME_OUT",
  2000: "CONTROLLER_FENCED_MASTER_EPOCH", 2001: "CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH", 2002: "CONTROLLER_INVALID_MASTER",
  2003: "CONTROLLER_INVALID_REPLICAS", 2004: "CONTROLLER_MASTER_NOT_AVAILABLE", 2005: "CONTROLLER_INVALID_REQUEST",
  2006: "CONTROLLER_BROKER_NOT_ALIVE", 2007: "CONTROLLER_NOT_LEADER", 2008: "CONTROLLER_BROKER_METADATA_NOT_EXIST",
  2009: "CONTROLLER_INVALID_CLEAN_BROKER_METADATA", 2010: "CONTROLLER_BROKER_NEED_TO_BE_REGISTERED",
  2011: "CONTROLLER_MASTER_STILL_EXIST", 2012: "CONTROLLER_ELECT_MASTER_FAILED", 2013: "CONTROLLER_ALTER_SYNC_STATE_SET_FAILED",
  2014: "CONTROLLER_BROKER_ID_INVALID", 2015: "CONTROLLER_JRAFT_INTERNAL_ERROR", 2016: "CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS",
  3001: "USER_NOT_EXIST", 3002: "POLICY_NOT_EXIST",
};
/** 209–211: ACL failures in 4.x; 5.0–5.3.2 declare both sets; 5.3.3+ the POLLING_* set only. */
const RESPONSE_4X: Record<number, string> = { 209: "UPDATE_AND_CREATE_ACL_CONFIG_FAILED", 210: "DELETE_ACL_CONFIG_FAILED", 211: "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED" };
const RESPONSE_5X: Record<number, string> = { 209: "POLLING_FULL", 210: "POLLING_TIMEOUT", 211: "BROKER_NOT_EXIST" };

/**
 * The name of a response code as the responder's release knows it. For 209–211 in 5.0–5.3.2 (both
 * sets declared) the two names are joined with "|"; with an unknown version too.
 */
export function responseCodeName(code: number, version = -1): string {
  const n = RESPONSE[code];
  if (n !== undefined) return n;
  const old = RESPONSE_4X[code], neu = RESPONSE_5X[code];
  if (old !== undefined && neu !== undefined) {
    if (version >= 0 && version < V5_0_0) return old;
    if (version >= V5_3_3) return neu;
    return `${neu}|${old}`;
  }
  return `UNKNOWN(${code})`;
}

/** The codes the exchange tracker and the lab refer to by name. */
export const RequestCode = {
  SEND_MESSAGE: 10, PULL_MESSAGE: 11, UPDATE_CONSUMER_OFFSET: 15, HEART_BEAT: 34, GET_CONSUMER_LIST_BY_GROUP: 38,
  REGISTER_BROKER: 103, UNREGISTER_BROKER: 104, GET_ROUTEINFO_BY_TOPIC: 105, GET_BROKER_CLUSTER_INFO: 106,
  SEND_MESSAGE_V2: 310, QUERY_DATA_VERSION: 322,
} as const;
export const ResponseCode = { SUCCESS: 0, SYSTEM_ERROR: 1, SYSTEM_BUSY: 2, REQUEST_CODE_NOT_SUPPORTED: 3, TOPIC_NOT_EXIST: 17 } as const;

/**
 * The timeout a RocketMQ broker uses for REGISTER_BROKER (`registerBrokerTimeoutMills`): 6000 ms in
 * 4.x, 24000 ms from 5.0.0 (RIP-29). Null for other codes or an unknown version.
 */
export function registerBrokerTimeoutMs(version: number): number | null {
  if (version < V4_0_0) return null;
  return version >= V5_0_0 ? 24000 : 6000;
}
