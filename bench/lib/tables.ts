/** A plain table that renders both as Markdown and (the same text) on the console. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** `+1.2 % [-0.4, +2.9]` from a ratio and its interval. */
export function formatRatio(r: { median: number; low: number; high: number; n: number }): string {
  if (!Number.isFinite(r.median)) return 'n/a';
  const pct = (x: number) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)}`;
  return `${pct(r.median)} % [${pct(r.low)}, ${pct(r.high)}]`;
}

/** `+12.3 MB [+10.1, +14.0]` from a difference and its interval. */
export function formatDelta(r: { median: number; low: number; high: number }, unit: string): string {
  if (!Number.isFinite(r.median)) return 'n/a';
  const s = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  return `${s(r.median)} ${unit} [${s(r.low)}, ${s(r.high)}]`;
}

/** `1234 ±3.1 %`: median and relative spread. */
export function formatValue(median: number, spread: number, digits = 0): string {
  if (!Number.isFinite(median)) return 'n/a';
  return `${median.toFixed(digits)} ±${(spread * 100).toFixed(1)}%`;
}
