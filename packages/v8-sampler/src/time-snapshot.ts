import { fileURLToPath } from 'node:url';
import { anonymousFunctionName, isAnonymousName } from '@vigil/core';
import type { RawTimeProfile, RawTimeProfileNode } from './native-time-profiler';
import type { SourceMapResolver } from './source-map-resolver';

/** One frame of a sampled stack. `line` is the line where the function is defined (1-based). */
export interface SampledFrame {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** 1-based column of the function in the generated file; used only for source mapping. */
  readonly column: number;
}

/** Samples that share a stack and labels, with their totals. */
export interface TimeSample {
  /** Leaf first. */
  readonly stack: readonly SampledFrame[];
  /** Number of sampler ticks that saw this stack. */
  readonly hits: number;
  /** Wall time this stack stood for: hits × the period's real mean tick length. */
  readonly wallNanos: number;
  /** CPU time the thread used in the ticks that saw this stack (measured, not estimated). */
  readonly cpuNanos: number;
  /** Labels from the sampler context active at the tick (e.g. span labels), and `end_timestamp_ns` with the timeline on. */
  readonly labels: Readonly<Record<string, string | number | bigint>>;
}

/** What one stop of the sampler produced: the input of both the CPU and the wall profile. */
export interface TimeSnapshot {
  /** Wall-clock start of the sampled window, nanoseconds since the Unix epoch. */
  readonly startUnixNanos: bigint;
  readonly durationNanos: number;
  /** Requested interval between ticks. */
  readonly intervalNanos: number;
  /** Real mean interval between ticks (duration / ticks), used to value a tick in wall time. */
  readonly tickNanos: number;
  readonly samples: readonly TimeSample[];
}

/** Names under which time V8 spends outside JavaScript functions shows up. */
export const SPECIAL_FRAMES = {
  idle: '(idle)',
  program: '(program)',
  garbageCollector: '(garbage collector)',
  nonJsThreads: '(non-JS threads)',
} as const;

/** Label of a tick's time (Unix epoch nanoseconds, an integer) for Datadog's timeline, as dd-trace-js names it. */
export const END_TIMESTAMP_LABEL = 'end_timestamp_ns';

/** Thread labels of the other threads' CPU time: it is not the main thread's (dd-trace-js's names). */
export const NON_JS_THREAD_LABELS = { 'thread name': 'Non-JS threads', 'thread id': 'NA' } as const;

/** A frame V8 reports with no script is a root-level pseudo frame, e.g. `(idle)`. */
function frameOf(node: RawTimeProfileNode): SampledFrame {
  const scriptName = node.scriptName.startsWith('file://') ? safeFileUrlToPath(node.scriptName) : node.scriptName;
  const name = node.name || anonymousFunctionName(scriptName, node.lineNumber);
  return { name, file: scriptName, line: node.lineNumber ?? 0, column: node.columnNumber ?? 0 };
}

function safeFileUrlToPath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

/** Labels from a sampler context: own string and number properties of a plain object. */
export function labelsOfContext(context: unknown): Record<string, string | number> | undefined {
  if (!context || typeof context !== 'object') return undefined;
  let out: Record<string, string | number> | undefined;
  for (const key of Object.keys(context)) {
    const value = (context as Record<string, unknown>)[key];
    if (typeof value === 'string' || typeof value === 'number') (out ??= {})[key] = value;
  }
  return out;
}

/** Script files that appear in a raw profile, for loading their source maps ahead of conversion. */
export function scriptFilesOf(profile: RawTimeProfile): Set<string> {
  const files = new Set<string>();
  const pending: RawTimeProfileNode[] = [profile.topDownRoot];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.scriptName) files.add(node.scriptName.startsWith('file://') ? safeFileUrlToPath(node.scriptName) : node.scriptName);
    for (const child of node.children) pending.push(child);
  }
  return files;
}

/**
 * Converts V8's call tree into flat samples. Unlike @datadog/pprof's serializer, keeps `(idle)`,
 * `(program)` and `(garbage collector)` ticks with their wall time, so the wall profile adds up to
 * the elapsed time, and adds the CPU time of the process's other threads as `(non-JS threads)`.
 */
export function snapshotFromRawProfile(
  profile: RawTimeProfile,
  options: { intervalMicros: number; startUnixNanos: bigint; sourceMaps?: SourceMapResolver; timeline?: boolean },
): TimeSnapshot {
  const durationNanos = Math.max(0, (profile.endTime - profile.startTime) * 1000);
  const totalHits = profile.totalHitCount ?? countHits(profile.topDownRoot);
  const intervalNanos = options.intervalMicros * 1000;
  const tickNanos = totalHits > 0 ? durationNanos / totalHits : intervalNanos;
  const mapFrame = makeFrameMapper(options.sourceMaps);
  const samples: TimeSample[] = [];

  const pending: Array<{ node: RawTimeProfileNode; parentStack: readonly SampledFrame[] }> =
    profile.topDownRoot.children.map((node) => ({ node, parentStack: [] }));
  while (pending.length > 0) {
    const { node, parentStack } = pending.pop()!;
    const stack = [mapFrame(frameOf(node)), ...parentStack];
    addNodeSamples(node, stack, tickNanos, samples, options.timeline ?? false);
    for (const child of node.children) pending.push({ node: child, parentStack: stack });
  }
  if (profile.nonJSThreadsCpuTime && profile.nonJSThreadsCpuTime > 0) {
    samples.push({
      stack: [{ name: SPECIAL_FRAMES.nonJsThreads, file: '', line: 0, column: 0 }],
      hits: 0,
      wallNanos: 0,
      cpuNanos: profile.nonJSThreadsCpuTime,
      labels: NON_JS_THREAD_LABELS,
    });
  }
  return { startUnixNanos: options.startUnixNanos, durationNanos, intervalNanos, tickNanos, samples };
}

function addNodeSamples(node: RawTimeProfileNode, stack: readonly SampledFrame[], tickNanos: number, out: TimeSample[], timeline: boolean): void {
  const contexts = node.contexts ?? [];
  if (node.hitCount === 0 && contexts.length === 0) return;
  // Ticks are grouped by the labels of their context; a tick without a recorded context is unlabelled.
  const byLabels = new Map<string, { labels: Record<string, string | number | bigint>; hits: number; cpuNanos: number }>();
  let labelledHits = 0;
  for (const entry of contexts) {
    let labels: Record<string, string | number | bigint> = labelsOfContext(entry.context) ?? {};
    let key = labelKey(labels);
    // With the timeline each tick stays its own sample, stamped with its time (the native
    // timestamp is Unix epoch microseconds, a bigint: the label stays an exact integer).
    if (timeline && typeof entry.timestamp === 'bigint') {
      labels = { ...labels, [END_TIMESTAMP_LABEL]: entry.timestamp * 1000n };
      key = `${key}\u0001${entry.timestamp}`;
    }
    let group = byLabels.get(key);
    if (!group) {
      group = { labels, hits: 0, cpuNanos: 0 };
      byLabels.set(key, group);
    }
    if (labelledHits < node.hitCount) {
      group.hits++;
      labelledHits++;
    }
    group.cpuNanos += entry.cpuTime ?? 0;
  }
  const unlabelledHits = node.hitCount - labelledHits;
  if (unlabelledHits > 0) {
    const group = byLabels.get('') ?? { labels: {}, hits: 0, cpuNanos: 0 };
    group.hits += unlabelledHits;
    byLabels.set('', group);
  }
  for (const group of byLabels.values()) {
    if (group.hits === 0 && group.cpuNanos === 0) continue;
    out.push({ stack, hits: group.hits, wallNanos: group.hits * tickNanos, cpuNanos: group.cpuNanos, labels: group.labels });
  }
}

function labelKey(labels: Record<string, string | number | bigint>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return keys.sort().map((k) => `${k}=${typeof labels[k]}:${labels[k]}`).join('\u0000');
}

function countHits(node: RawTimeProfileNode): number {
  let total = 0;
  const pending = [node];
  while (pending.length > 0) {
    const n = pending.pop()!;
    total += n.hitCount;
    for (const child of n.children) pending.push(child);
  }
  return total;
}

/** Source-maps frames once per distinct generated position. */
function makeFrameMapper(sourceMaps: SourceMapResolver | undefined): (frame: SampledFrame) => SampledFrame {
  if (!sourceMaps) return (frame) => frame;
  const memo = new Map<string, SampledFrame>();
  return (frame) => {
    if (!frame.file || frame.line <= 0) return frame;
    const key = `${frame.file}:${frame.line}:${frame.column}:${frame.name}`;
    let mapped = memo.get(key);
    if (!mapped) {
      const origin = sourceMaps.resolve({ file: frame.file, line: frame.line, column: frame.column });
      // A minifier's map names the original identifier at the function's position: `f` -> `priceOrdersFor`.
      // An unnamed function is renamed after the file and line the map gives, as every collector names it.
      mapped = origin ? { name: origin.name ?? (isAnonymousName(frame.name) ? anonymousFunctionName(origin.file, origin.line) : frame.name), file: origin.file, line: origin.line, column: 0 } : frame;
      memo.set(key, mapped);
    }
    return mapped;
  };
}
