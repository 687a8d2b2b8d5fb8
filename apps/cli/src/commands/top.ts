import { parseArgs } from 'node:util';
import { formatPercent, formatTable, formatValue } from '../format-value';
import { hotspots, type GroupBy } from '../hotspots';
import { levelDescription, levelModeOption, levelWeights } from '../level-snapshots';
import { loadProfiles } from '../profile-files';
import { resolveSampleType } from '../sample-types';
import { UsageError } from '../usage-error';
import { intOption } from './options';

export const topHelp = `Usage: vigil top <file|dir>... [options]

The hottest functions in one or more pprof files (merged), by self value.

Options:
  --type <type>      sample type: cpu, wall, io-wait, inuse_space (heap), alloc_space,
                     lock-acquire-wait (lock), ... (default: the most telling one present)
  --limit <n>        rows to show (default 10)
  --by <group>       function (default), file, endpoint (the 'trace endpoint' label), or
                     any label name: your withLabels() labels (tenant, ...), 'thread name'
  --heap <mode>      in-use heap is a level, so snapshots never add up: mean (default) is
                     each process's mean snapshot, latest its newest one
  --json             print JSON for machines
  -h, --help         this help

Examples:
  vigil top profiles/                       all files in a folder, merged
  vigil top profiles/cpu_*.pprof --limit 20
  vigil top profiles/ --type wall --by endpoint
  vigil top profiles/ --type cpu --by tenant
  vigil top space.pprof --type heap --json`;

export function topCommand(argv: string[], out: (text: string) => void): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { type: { type: 'string' }, limit: { type: 'string' }, by: { type: 'string' }, json: { type: 'boolean' }, heap: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return out(topHelp);
  if (positionals.length === 0) throw new UsageError('vigil top needs at least one profile file or folder\n\n' + topHelp);
  const limit = intOption('--limit', values.limit, 10);
  const by: GroupBy = values.by === undefined || values.by === '' ? 'function' : values.by;
  const heap = levelModeOption(values.heap);
  const loaded = loadProfiles(positionals);
  const profiles = loaded.map((l) => l.profile);
  const { type, unit } = resolveSampleType(profiles, values.type);
  const level = levelWeights(loaded, type, heap);
  const result = hotspots(profiles, type, by, level.weights);
  const combined = levelDescription(type, heap, level.snapshots, level.processes);
  const rows = result.rows.slice(0, limit);
  if (values.json) {
    return out(JSON.stringify({ sampleType: type, unit, by, ...(combined ? { heap, snapshots: level.snapshots } : {}), total: result.total, rows: rows.map((r) => ({ ...r, selfPercent: pct(r.self, result.total), cumulativePercent: pct(r.cumulative, result.total) })) }, null, 2));
  }
  const header = ['#', 'self', 'self%', 'cum', 'cum%', by === 'endpoint' ? 'endpoint' : by];
  const table = rows.map((r, i) => [
    String(i + 1), formatValue(Math.round(r.self), unit), formatPercent(r.self, result.total), formatValue(Math.round(r.cumulative), unit), formatPercent(r.cumulative, result.total),
    by === 'function' && r.file ? `${r.name}  ${r.file}` : r.name,
  ]);
  const what = combined ? `${formatValue(Math.round(result.total), unit)}, ${combined}` : `total ${formatValue(result.total, unit)} in ${profiles.length} profile(s)`;
  out(`${type} (${unit}), ${what}\n${formatTable([header, ...table], [0, 1, 2, 3, 4])}`);
}

function pct(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10000) / 100;
}
