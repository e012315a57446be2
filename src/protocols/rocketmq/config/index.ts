/**
 * @module protocols/rocketmq/config
 * RocketMQ's socket-buffer configuration as the JVM reads it: a java.util.Properties parser, Java's
 * Integer.parseInt, the precedence of config file, -D and version defaults, and what each value
 * yields on Linux (through src/model), with lint. Pure; callers read the files.
 */
export { parseJavaProperties, decodeLatin1 } from "./java-properties.js";
export type { ParsedProperties, PropertyEntry, PropertiesError } from "./java-properties.js";
export { javaParseInt } from "./java-int.js";
export type { JavaIntResult } from "./java-int.js";
export {
  resolveSocketBuffers,
  parseJvmArgs,
  parseRocketmqVersion,
  isBefore493,
  SOCKET_BUFFER_SETTINGS,
  JVM_RCVBUF_PROPERTY,
  JVM_SNDBUF_PROPERTY,
} from "./resolve.js";
export type { RocketmqRole, RocketmqVersion, JvmProperty, ResolvedSetting, ResolveInput, SettingSource, SocketBufferSetting } from "./resolve.js";
export { lintSettings, kernelView, groupDigits, SOCK_MIN_SNDBUF, DEFAULT_WMEM_MAX } from "./lint.js";
export type { LintInput, KernelView, TransferLint, Finding, FindingCode, SettingReport } from "./lint.js";
