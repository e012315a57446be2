/**
 * @module report/html/exchanges
 * Application exchanges drawn as spans on the charts (request sent → acknowledged → response),
 * read loosely from the evidence's `app.rocketmq` (protocols/rocketmq RocketmqResult:
 * `{ exchanges: RocketmqExchange[] }`; a bare array is taken too), so a field that changes there
 * drops a detail here rather than failing the page. Per exchange: `code`, `name` (or `code_name`),
 * `opaque`, `timed_out`, and times — ns relative to the capture's first packet when the key ends in
 * `_ns` (RocketmqExchange's), seconds when in `_s`; `timeout_ms`: request start `request_first_ns`, its last byte
 * `request_last_ns`, acknowledged `request_acked_ns`, the response's end `response_last_ns` (else
 * its first byte `response_first_ns`); a few other spellings are accepted (see the key lists). An
 * exchange without a start time is skipped; a connection without any gives no spans.
 */

/** One span, seconds relative to the capture's first packet. */
export interface ExchangeSpan {
  code: number | null;
  name: string | null;
  opaque: number | null;
  startS: number;
  /** The request's last byte sent. */
  requestLastS: number | null;
  ackedS: number | null;
  responseS: number | null;
  timedOut: boolean;
  /** The timeout it was judged by (RocketmqExchange.timeout_ms), s: a timed-out span without a response runs this long. */
  timeoutS: number | null;
}

/** The most spans drawn per connection (a long-lived connection can hold millions of exchanges). */
export const MAX_SPANS = 5000;

type Loose = Record<string, unknown>;

function time(x: Loose, keys: readonly string[]): number | null {
  for (const k of keys) {
    const v = x[k];
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    return k.endsWith("_ns") ? v / 1e9 : k.endsWith("_ms") ? v / 1e3 : v;
  }
  return null;
}

const START = ["request_first_ns", "request_first_s", "request_start_ns", "request_start_s", "request_s", "request_start"] as const;
const REQUEST_LAST = ["request_last_ns", "request_last_s"] as const;
const ACKED = ["request_acked_ns", "request_acked_s", "request_acked"] as const;
const RESPONSE = ["response_last_ns", "response_first_ns", "response_last_s", "response_first_s", "response_s", "response_time_ns", "response_time_s", "response_time"] as const;

/** The exchanges of a connection's evidence, as spans (at most MAX_SPANS, in the order given). */
export function exchangeSpans(evidence: unknown): { spans: ExchangeSpan[]; total: number } {
  const app = (evidence as { app?: unknown } | null)?.app as Loose | undefined;
  const rm = app?.rocketmq as unknown;
  const list: unknown = Array.isArray(rm) ? rm : (rm as Loose | undefined)?.exchanges;
  if (!Array.isArray(list)) return { spans: [], total: 0 };
  const spans: ExchangeSpan[] = [];
  let total = 0;
  for (const e of list) {
    if (e === null || typeof e !== "object") continue;
    const x = e as Loose;
    const startS = time(x, START);
    if (startS === null) continue;
    total++;
    if (spans.length >= MAX_SPANS) continue;
    const name = typeof x.name === "string" ? x.name : typeof x.code_name === "string" ? x.code_name : null;
    spans.push({
      code: typeof x.code === "number" ? x.code : null,
      name,
      opaque: typeof x.opaque === "number" ? x.opaque : null,
      startS,
      requestLastS: time(x, REQUEST_LAST),
      ackedS: time(x, ACKED),
      responseS: time(x, RESPONSE),
      timedOut: x.timed_out === true || x.timeout === true,
      timeoutS: typeof x.timeout_ms === "number" && x.timeout_ms > 0 ? x.timeout_ms / 1000 : null,
    });
  }
  return { spans, total };
}
