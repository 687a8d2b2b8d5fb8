import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { ProfileReader, sampleTypeIndex, type Frame } from '@vigil/core';
import { flameGraphHtml, FlameTreeBuilder, portablePath } from '@vigil/viewer';
import { hotspots } from '../hotspots';
import { levelDescription, levelModeOption, levelWeights } from '../level-snapshots';
import { loadProfiles } from '../profile-files';
import { resolveSampleType } from '../sample-types';
import { UsageError } from '../usage-error';
import { oneOfOption } from './options';

export const exportHelp = `Usage: vigil export <file|dir>... --format <format> [options]

Writes the merged profiles as a flame graph to share or open elsewhere.

Formats:
  html          one self-contained HTML file (icicle, search, zoom, hotspot table); opens
                offline, from disk or an attachment, and loads nothing from the network
  speedscope    speedscope's JSON (open it at speedscope.app or in a local speedscope:
                time order, left heavy and sandwich views)
  collapsed     one line per stack, "root;caller;leaf value" (Brendan Gregg's flamegraph.pl,
                inferno, speedscope and Pyroscope read it)

Options:
  --format <f>       html, speedscope or collapsed (required)
  --type <type>      sample type: cpu, wall, inuse_space (heap), ... (default: the most telling one)
  --heap <mode>      in-use heap snapshots: mean (default) or latest, never summed
  -o, --output <f>   file to write (default: standard output)
  -h, --help         this help

Examples:
  vigil export profiles/ --format html -o flame.html
  vigil export profiles/ --type wall --format speedscope -o wall.speedscope.json
  vigil export cpu.pprof --format collapsed | flamegraph.pl > cpu.svg`;

const FORMATS = ['html', 'speedscope', 'collapsed'] as const;
type Format = (typeof FORMATS)[number];

/** speedscope's units; pprof's `count` (and anything else) is `none`. */
function speedscopeUnit(unit: string): string {
  return ['nanoseconds', 'microseconds', 'milliseconds', 'seconds', 'bytes'].includes(unit) ? unit : 'none';
}

/** A frame's name in collapsed stacks: `;` separates frames and the last space the value, so neither may appear raw. */
function collapsedName(frame: Frame): string {
  const file = frame.file ? ` (${portablePath(frame.file)})` : '';
  return `${frame.name || '(anonymous)'}${file}`.replace(/;/g, ':').replace(/[\r\n]/g, ' ');
}

export function exportCommand(argv: string[], out: (text: string) => void): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { format: { type: 'string' }, type: { type: 'string' }, heap: { type: 'string' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return out(exportHelp);
  if (positionals.length === 0) throw new UsageError('vigil export needs at least one profile file or folder\n\n' + exportHelp);
  if (values.format === undefined) throw new UsageError(`vigil export needs --format (${FORMATS.join(', ')})`);
  const format = oneOfOption<Format>('--format', values.format, FORMATS, 'html');
  const heap = levelModeOption(values.heap);
  const loaded = loadProfiles(positionals);
  const profiles = loaded.map((l) => l.profile);
  const { type, unit } = resolveSampleType(profiles, values.type);
  const level = levelWeights(loaded, type, heap);

  // Identical stacks (root first, by name and file) merge, so the files stay small.
  const stacks = new Map<string, { frames: Frame[]; value: number }>();
  loaded.forEach(({ profile }, index) => {
    const weight = level.weights[index] ?? 0;
    const valueIndex = sampleTypeIndex(profile, type);
    if (weight === 0 || valueIndex < 0) return;
    const reader = new ProfileReader(profile);
    for (const sample of profile.sample) {
      const value = Number(sample.value[valueIndex] ?? 0) * weight;
      if (value === 0) continue;
      const frames = reader.stack(sample);
      const key = frames.map((f) => `${f.name}\u0000${f.file ?? ''}`).join('\u0001');
      const entry = stacks.get(key);
      if (entry) entry.value += value;
      else stacks.set(key, { frames, value });
    }
  });

  const combined = levelDescription(type, heap, level.snapshots, level.processes);
  const sources = positionals.map((p) => basename(p)).join(', ');
  let text: string;
  if (format === 'collapsed') {
    text = [...stacks.values()]
      .map(({ frames, value }) => `${frames.map(collapsedName).reverse().join(';')} ${Math.round(value)}`)
      .join('\n') + '\n';
  } else if (format === 'speedscope') {
    const frameIndex = new Map<string, number>();
    const frames: { name: string; file?: string; line?: number }[] = [];
    const indexOf = (f: Frame) => {
      const key = `${f.name}\u0000${f.file ?? ''}`;
      let i = frameIndex.get(key);
      if (i === undefined) {
        frameIndex.set(key, (i = frames.length));
        frames.push({ name: f.name || '(anonymous)', ...(f.file ? { file: f.file } : {}), ...(f.line ? { line: f.line } : {}) });
      }
      return i;
    };
    const samples: number[][] = [];
    const weights: number[] = [];
    let total = 0;
    for (const { frames: stack, value } of stacks.values()) {
      samples.push(stack.map(indexOf).reverse());
      weights.push(value);
      total += value;
    }
    text = JSON.stringify({
      $schema: 'https://www.speedscope.app/file-format-schema.json',
      exporter: 'vigil export',
      name: `${type} — ${sources}`,
      activeProfileIndex: 0,
      shared: { frames },
      profiles: [{ type: 'sampled', name: combined ? `${type} (${combined})` : type, unit: speedscopeUnit(unit), startValue: 0, endValue: total, samples, weights }],
    });
  } else {
    const builder = new FlameTreeBuilder();
    for (const { frames, value } of stacks.values()) builder.add(frames, value);
    const tree = { ...builder.build(), name: `all (${type})` };
    const top = hotspots(profiles, type, 'function', level.weights).rows;
    text = flameGraphHtml(tree, top, {
      title: `${type} flame graph`,
      sampleType: type,
      unit,
      subtitle: `${sources}: ${loaded.length} file(s)${combined ? `, ${combined}` : ''}. Made by vigil export.`,
    });
  }
  if (values.output) writeFileSync(values.output, text);
  else out(text.endsWith('\n') ? text.slice(0, -1) : text);
}
