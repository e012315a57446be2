/**
 * @module cli/html-assets
 * The chart library's text for the HTML report, read from the installed `uplot` package (its
 * minified IIFE build and CSS): report/ does no I/O, so the CLI reads the files and hands them in.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { HtmlAssets } from "../report/html/index.js";

let cached: HtmlAssets | null = null;

export function htmlAssets(): HtmlAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const js = require.resolve("uplot/dist/uPlot.iife.min.js");
  const css = require.resolve("uplot/dist/uPlot.min.css");
  cached = { uplotJs: readFileSync(js, "utf8"), uplotCss: readFileSync(css, "utf8") };
  return cached;
}
