// What every page of the reports shares: its style and HTML escaping.

/** The pages' style (the sweep page adds a few rules of its own). */
export const CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #dde1e8; --ok: #2e7d32; --bad: #c62828; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; max-width: 960px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 18px 0 6px; }
.verdict { font-size: 16px; padding: 10px 14px; border-left: 4px solid var(--ok); background: #f3f8f3; margin: 12px 0; }
.verdict.bad { border-color: var(--bad); background: #fbf1f1; }
.meta { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 6px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f5f6f8; }
.ok { color: var(--ok); } .bad { color: var(--bad); }
figure { margin: 10px 0 18px; page-break-inside: avoid; } figure svg { max-width: 100%; height: auto; }
pre { background: #f5f6f8; padding: 8px; overflow-x: auto; font-size: 12px; }
details summary { cursor: pointer; color: var(--muted); }
@media print { body { max-width: none; padding: 0; font-size: 11px; } h2 { page-break-after: avoid; } details { display: none; } }
`;

/** Text for HTML: element content and double-quoted attributes. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
