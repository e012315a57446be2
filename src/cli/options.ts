/**
 * @module cli/options
 * Commander argument parsers built on the model's unit parsers, so a bad value becomes
 * commander's one-line "option ... argument ... is invalid" and exit code 2.
 */
import { InvalidArgumentError } from "commander";
import { UsageError } from "../errors.js";
import { parseBandwidth, parseDuration, parseInteger, parseSize } from "../model/units.js";

function wrap<T>(fn: (text: string) => T): (text: string) => T {
  return (text: string) => {
    try {
      return fn(text);
    } catch (e) {
      if (e instanceof UsageError) throw new InvalidArgumentError(e.message.replace(/^--?[\w-]+ /, ""));
      throw e;
    }
  };
}

export const sizeArg = wrap((t) => parseSize(t, "size"));
export const durationArg = wrap((t) => parseDuration(t, "duration"));
/** A duration that must be more than zero (an RTT, a deadline): `0`/`0s` would predict 0 ms. */
export const positiveDurationArg = (what: string) =>
  wrap((t) => {
    const sec = parseDuration(t, "duration");
    if (!(sec > 0)) throw new UsageError(`duration ${JSON.stringify(t)}: ${what} must be more than zero`, "duration", t);
    return sec;
  });
export const bandwidthArg = wrap((t) => parseBandwidth(t, "rate"));
export const intArg = (min: number, max: number) => wrap((t) => parseInteger(t, "value", min, max));
export const mssArg = intArg(88, 65535);

/** A process id (1 … 4194304, Linux's pid_max limit). Here, not in commands/sockets, so `trace` does not load koffi for it. */
export const pidArg = (t: string): number => {
  if (!/^\d+$/.test(t.trim()) || Number(t) < 1 || Number(t) > 4194304) throw new InvalidArgumentError(`${JSON.stringify(t)} is not a process id`);
  return Number(t);
};
