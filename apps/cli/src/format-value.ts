/** Human units for pprof values: nanoseconds as ms/s, bytes as KiB/MiB/GiB, counts as is. */
export function formatValue(value: number, unit: string): string {
  if (unit === 'nanoseconds') {
    const abs = Math.abs(value);
    if (abs >= 1e9) return `${(value / 1e9).toFixed(2)}s`;
    if (abs >= 1e6) return `${(value / 1e6).toFixed(1)}ms`;
    if (abs >= 1e3) return `${(value / 1e3).toFixed(1)}us`;
    return `${value}ns`;
  }
  if (unit === 'bytes') {
    const abs = Math.abs(value);
    if (abs >= 1024 ** 3) return `${(value / 1024 ** 3).toFixed(2)}GiB`;
    if (abs >= 1024 ** 2) return `${(value / 1024 ** 2).toFixed(1)}MiB`;
    if (abs >= 1024) return `${(value / 1024).toFixed(1)}KiB`;
    return `${value}B`;
  }
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

export function formatPercent(part: number, whole: number): string {
  return whole === 0 ? '0.0%' : `${((part / whole) * 100).toFixed(1)}%`;
}

/** Pads columns to their widest cell; the last column is left unpadded. */
export function formatTable(rows: string[][], rightAligned: readonly number[] = []): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((row) => row.map((cell, col) => {
    if (col === row.length - 1) return cell;
    return rightAligned.includes(col) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!);
  }).join('  ')).join('\n');
}
