/**
 * @module report/html/style
 * The page's CSS (system fonts only: nothing to fetch).
 */
export const PAGE_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1400px; padding: 12px 20px 40px; color: #1d2430; background: #fff; }
h1 { font-size: 20px; margin: 8px 0 4px; } h1 .src { font-weight: normal; color: #555; font-family: ui-monospace, monospace; font-size: 16px; }
h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid #dde2ea; padding-bottom: 3px; }
h3 { font-size: 15px; margin: 18px 0 2px; font-family: ui-monospace, monospace; }
pre { background: #f6f8fa; border: 1px solid #e3e7ed; padding: 8px 10px; overflow-x: auto; font-size: 12.5px; line-height: 1.35; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: left; border-bottom: 1px solid #eef0f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #1a7f37; } .warn { color: #9a6700; } .bad { color: #cf222e; }
.note { color: #57606a; font-size: 12.5px; margin: 2px 0 6px; }
.chart { margin: 4px 0 10px; } .uplot .u-title { font-size: 13px; font-weight: 600; text-align: left; padding-left: 70px; }
.uplot .u-legend { font-size: 12px; } .u-select { background: rgba(31,95,168,0.12); }
footer { margin-top: 30px; color: #57606a; font-size: 12px; }
`;
