import { parseArgs } from 'node:util';
import { sampleTypeIndex } from '@vigil/core';
import { findLeakSuspects } from '@vigil/heap/leak-analysis';
import { formatTable, formatValue } from '../format-value';
import { loadProfiles } from '../profile-files';
import { UsageError } from '../usage-error';
import { intOption, numberOption } from './options';

export const leaksHelp = `Usage: vigil leaks <file|dir>... [options]

Heap leak suspects across consecutive heap profiles (space / inuse_space files, e.g. one per
period from 'vigil run'): allocation sites whose live bytes grow steadily, fastest first.

Options:
  --min-periods <n>       fewest consecutive profiles before anything is called a leak (default 4)
  --min-growth-mb <mb>    smallest growth of live memory that counts (default 1)
  --json                  print JSON for machines
  -h, --help              this help

Examples:
  vigil leaks profiles/
  vigil leaks profiles/space_*.pprof --min-periods 3 --json`;

export function leaksCommand(argv: string[], out: (text: string) => void): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'min-periods': { type: 'string' }, 'min-growth-mb': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return out(leaksHelp);
  if (positionals.length === 0) throw new UsageError('vigil leaks needs heap profile files or folders\n\n' + leaksHelp);
  const minPeriods = intOption('--min-periods', values['min-periods'], 4);
  const minGrowthBytes = numberOption('--min-growth-mb', values['min-growth-mb'], 1) * 1024 * 1024;
  const heapProfiles = loadProfiles(positionals).map((l) => l.profile).filter((p) => sampleTypeIndex(p, 'inuse_space') >= 0);
  if (heapProfiles.length === 0) throw new UsageError('none of these files is a heap profile (no inuse_space sample type)');
  const suspects = findLeakSuspects(heapProfiles, { minPeriods, minGrowthBytes });
  if (values.json) return out(JSON.stringify({ profiles: heapProfiles.length, suspects }, null, 2));
  if (suspects.length === 0) {
    return out(`no leak suspects in ${heapProfiles.length} heap profile(s)` + (heapProfiles.length < minPeriods ? ` (need at least ${minPeriods}; try --min-periods)` : ''));
  }
  out(`leak suspects in ${heapProfiles.length} heap profiles, fastest growing first\n` + formatTable([
    ['#', 'growth/min', 'live first -> last', 'fit', 'function'],
    ...suspects.map((s) => [
      String(s.rank), `+${formatValue(Math.round(s.growthBytesPerMinute), 'bytes')}`,
      `${formatValue(s.firstBytes, 'bytes')} -> ${formatValue(s.lastBytes, 'bytes')}`, s.linearFit.toFixed(2),
      `${s.name}  ${s.file}${s.line ? `:${s.line}` : ''}`,
    ]),
  ], [0, 1, 2, 3]));
}
