import { parseArgs } from 'node:util';
import { formatTable, formatValue } from '../format-value';
import { hotspots } from '../hotspots';
import { portablePath } from '@vigil/viewer';
import { isLevelSampleType, levelDescription, levelModeOption, levelWeights } from '../level-snapshots';
import { loadProfiles } from '../profile-files';
import { resolveSampleType } from '../sample-types';
import { UsageError } from '../usage-error';
import { intOption } from './options';

export const diffHelp = `Usage: vigil diff <base> <new> [options]

Which functions got slower or faster (or allocate more or less) between two profiles or two
folders of profiles, e.g. two releases. Values are normalized per minute of profiled time, so
runs of different lengths compare fairly; rows are ranked by the size of the change. In-use heap
is a level, not a rate: it compares each side's mean (or latest) snapshot, never per minute.
Functions match by name and file name (package-relative path inside node_modules), so a release
that moved the app's folder still lines up.

Options:
  --type <type>      sample type (default: the most telling one present in both)
  --limit <n>        rows to show (default 15)
  --heap <mode>      in-use heap snapshots: mean (default) or latest
  --json             print JSON for machines
  -h, --help         this help

Examples:
  vigil diff profiles-v1/ profiles-v2/
  vigil diff old/cpu.pprof new/cpu.pprof --type cpu --limit 30`;

/** For levels (in-use heap) the `...PerMinute` fields hold the snapshot values themselves (see valuesAre). */
export interface DiffRow {
  name: string;
  file: string;
  basePerMinute: number;
  newPerMinute: number;
  changePerMinute: number;
  /** Relative change; null when the function is new. */
  changeRatio: number | null;
}

export function diffCommand(argv: string[], out: (text: string) => void): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { type: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, heap: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return out(diffHelp);
  if (positionals.length !== 2) throw new UsageError('vigil diff needs exactly two arguments: <base> <new>\n\n' + diffHelp);
  const limit = intOption('--limit', values.limit, 15);
  const heap = levelModeOption(values.heap);
  const baseLoaded = loadProfiles([positionals[0]!]);
  const nextLoaded = loadProfiles([positionals[1]!]);
  const base = baseLoaded.map((l) => l.profile);
  const next = nextLoaded.map((l) => l.profile);
  const { type, unit } = resolveSampleType([...base, ...next], values.type);
  resolveSampleType(base, type);
  resolveSampleType(next, type);
  const level = isLevelSampleType(type);
  const baseLevel = levelWeights(baseLoaded, type, heap);
  const nextLevel = levelWeights(nextLoaded, type, heap);
  const rows = diffRows(hotspots(base, type, 'function', baseLevel.weights), hotspots(next, type, 'function', nextLevel.weights), !level).slice(0, limit);
  if (values.json) return out(JSON.stringify({ sampleType: type, unit, ...(level ? { heap, valuesAre: 'snapshot' } : { valuesAre: 'per minute' }), rows }, null, 2));
  const table = rows.map((r) => [
    r.changePerMinute > 0 ? 'slower' : 'faster',
    `${r.changePerMinute > 0 ? '+' : ''}${formatValue(Math.round(r.changePerMinute), unit)}`,
    r.changeRatio === null ? 'new' : `${r.changeRatio > 0 ? '+' : ''}${(r.changeRatio * 100).toFixed(0)}%`,
    formatValue(Math.round(r.basePerMinute), unit),
    formatValue(Math.round(r.newPerMinute), unit),
    r.file ? `${r.name}  ${r.file}` : r.name,
  ]);
  const header = level
    ? `${type} self, base (${levelDescription(type, heap, baseLevel.snapshots, baseLevel.processes)}) -> new (${levelDescription(type, heap, nextLevel.snapshots, nextLevel.processes)})`
    : `${type} self per minute of profile, base -> new`;
  out(`${header}\n${formatTable([['', 'change', 'rel', 'base', 'new', 'function'], ...table], [1, 2, 3, 4])}`);
}

/**
 * Per-function change in self value per minute (or, for levels, in the snapshot value itself),
 * largest absolute change first. Functions match by name and portable path (file name, or
 * package-relative inside node_modules), so a moved deploy folder does not read as all new.
 */
export function diffRows(base: ReturnType<typeof hotspots>, next: ReturnType<typeof hotspots>, asRate = true): DiffRow[] {
  const perMinute = (value: number, durationNanos: number) => (asRate && durationNanos > 0 ? (value * 60e9) / durationNanos : value);
  const rows = new Map<string, DiffRow>();
  const row = (name: string, file: string) => {
    const key = `${name}\u0000${portablePath(file)}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { name, file, basePerMinute: 0, newPerMinute: 0, changePerMinute: 0, changeRatio: null }));
    return r;
  };
  for (const r of base.rows) row(r.name, r.file).basePerMinute += perMinute(r.self, base.durationNanos);
  for (const r of next.rows) row(r.name, r.file).newPerMinute += perMinute(r.self, next.durationNanos);
  for (const r of rows.values()) {
    r.changePerMinute = r.newPerMinute - r.basePerMinute;
    r.changeRatio = r.basePerMinute === 0 ? null : r.changePerMinute / r.basePerMinute;
  }
  return [...rows.values()].filter((r) => r.changePerMinute !== 0).sort((a, b) => Math.abs(b.changePerMinute) - Math.abs(a.changePerMinute));
}
