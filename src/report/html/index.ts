/**
 * @module report/html
 * The HTML report: `renderAnalyzeHtml(input, charts, assets)` → one self-contained page.
 */
export { renderAnalyzeHtml, escapeHtml, DEFAULT_CHARTED, type HtmlAssets, type HtmlCharts } from "./page.js";
export { directionChartData, type DirectionChartData } from "./chart-data.js";
export { exchangeSpans, MAX_SPANS, type ExchangeSpan } from "./exchanges.js";
