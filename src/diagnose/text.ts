/**
 * @module diagnose/text
 * How verdicts write numbers: endpoints as addr:port ([v6]:port), durations in the unit people
 * read (3.00 s, 7.10 ms), shares as whole percents. One place, so claim and fix agree.
 */
import { formatMs } from "../model/index.js";
import type { Endpoint } from "../tcp/evidence.js";

export const endpointText = (e: Endpoint): string => (e.addr.includes(":") ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);

export const durationText = (ms: number): string => (!Number.isFinite(ms) ? "?" : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : formatMs(ms));

export const percentText = (x: number): string => `${Math.round(x * 100)} %`;
