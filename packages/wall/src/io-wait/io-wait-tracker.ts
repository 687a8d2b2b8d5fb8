import { anonymousFunctionName, currentSpanLabels, ProfileBuilder, type Disposable, type Profile } from '@vigil/core';
import type { SourceMapResolver } from '@vigil/v8-sampler';
import type { IoWaitKind } from './io-wait-kinds';
import { SamplingGate } from './sampling-gate';
import { captureIssuingStack, type IssuingFrame } from './stack-capture';

/** An operation chosen for measurement, between its start and its completion. */
export interface PendingWait {
  readonly kind: IoWaitKind;
  readonly operation: string;
  readonly weight: number;
  readonly stack: IssuingFrame[];
  readonly spanLabels: Readonly<Record<string, string>> | undefined;
  readonly startMs: number;
  done: boolean;
}

export interface IoWaitTrackerOptions {
  kinds: readonly IoWaitKind[];
  /** Operations measured per second and kind, at most (about). */
  samplesPerSecond: number;
  /** Distinct stacks kept per period; more are merged into one `(other stacks)` entry per operation. */
  maxStacks: number;
  /** Frames captured per stack. */
  maxFrames: number;
}

interface Aggregate {
  stack: IssuingFrame[];
  kind: IoWaitKind;
  operation: string;
  labels: Record<string, string>;
  count: number;
  nanos: number;
}

const OTHER_STACKS: IssuingFrame = { name: '(other stacks)', file: '', line: 0, column: 0 };
const RETUNE_INTERVAL_MS = 1000;

/**
 * Measures how long sampled I/O operations are awaited and by which stacks, per period. The
 * instrumentation (see `instrumentation.ts`) calls `begin` for every operation (cheap unless it
 * is sampled) and `end` on completion; `takeProfile` hands out and resets the period's data.
 */
export class IoWaitTracker implements Disposable {
  private readonly gates = new Map<IoWaitKind, SamplingGate>();
  private aggregates = new Map<string, Aggregate>();
  private windowStartMs = Date.now();
  private droppedStacks = 0;
  private readonly retuneTimer: NodeJS.Timeout;
  enabled = true;

  constructor(readonly options: IoWaitTrackerOptions) {
    for (const kind of options.kinds) this.gates.set(kind, new SamplingGate(options.samplesPerSecond));
    this.retuneTimer = setInterval(() => {
      const now = Date.now();
      for (const gate of this.gates.values()) gate.retune(now);
    }, RETUNE_INTERVAL_MS);
    this.retuneTimer.unref();
  }

  /** True when operations of `kind` are recorded at all. */
  tracks(kind: IoWaitKind): boolean {
    return this.gates.has(kind);
  }

  /**
   * Called at the start of every operation of `kind`; returns a pending wait for sampled ones (with
   * the stack of the caller of `above`), undefined otherwise. Never throws.
   */
  begin(kind: IoWaitKind, operation: string, above: Function): PendingWait | undefined {
    if (!this.enabled) return undefined;
    const gate = this.gates.get(kind);
    if (!gate) return undefined;
    const weight = gate.admit();
    if (weight === 0) return undefined;
    try {
      return {
        kind,
        operation,
        weight,
        stack: captureIssuingStack(above, this.options.maxFrames),
        spanLabels: currentSpanLabels(),
        startMs: performance.now(),
        done: false,
      };
    } catch {
      return undefined;
    }
  }

  /** Records a sampled operation as finished now (the first call counts; later ones are ignored). */
  end(pending: PendingWait): void {
    if (pending.done) return;
    pending.done = true;
    if (!this.enabled) return;
    const nanos = Math.max(0, (performance.now() - pending.startMs) * 1e6);
    const labels: Record<string, string> = { ...pending.spanLabels, 'io kind': pending.kind, 'io operation': pending.operation };
    let key = aggregateKey(pending.kind, pending.operation, pending.stack, pending.spanLabels);
    let aggregate = this.aggregates.get(key);
    if (!aggregate) {
      let stack = pending.stack;
      if (this.aggregates.size >= this.options.maxStacks) {
        this.droppedStacks++;
        stack = [OTHER_STACKS];
        key = aggregateKey(pending.kind, pending.operation, stack, undefined);
        aggregate = this.aggregates.get(key);
      }
      if (!aggregate) {
        aggregate = { stack, kind: pending.kind, operation: pending.operation, labels, count: 0, nanos: 0 };
        this.aggregates.set(key, aggregate);
      }
    }
    aggregate.count += pending.weight;
    aggregate.nanos += nanos * pending.weight;
  }

  /**
   * The waits that finished since the previous call, as a pprof profile (`io-wait-count/count` +
   * `io-wait/nanoseconds`, estimated from the samples), or undefined when there were none.
   * Each stack gets the operation as its leaf frame (`fs.readFile`), mapped through `sourceMaps`.
   */
  takeProfile(labels: Readonly<Record<string, string>>, sourceMaps: SourceMapResolver | undefined, loadMaps: 'none' | 'sync' = 'none'): Profile | undefined {
    const aggregates = this.aggregates;
    const startMs = this.windowStartMs;
    const dropped = this.droppedStacks;
    this.aggregates = new Map();
    this.windowStartMs = Date.now();
    this.droppedStacks = 0;
    if (aggregates.size === 0) return undefined;
    if (sourceMaps && loadMaps === 'sync') sourceMaps.prepareSync(filesOf(aggregates));
    const builder = new ProfileBuilder({
      // Distinct type names, so `go tool pprof -sample_index=io-wait` picks the nanoseconds.
      sampleTypes: [['io-wait-count', 'count'], ['io-wait', 'nanoseconds']],
      periodType: ['io-wait', 'nanoseconds'],
      period: 1,
      timeNanos: BigInt(startMs) * 1_000_000n,
      durationNanos: Math.max(0, this.windowStartMs - startMs) * 1_000_000,
      defaultSampleType: 'io-wait',
      comments: dropped > 0 ? [`vigil: ${dropped} waits beyond ${this.options.maxStacks} distinct stacks were merged into (other stacks)`] : [],
    });
    for (const aggregate of aggregates.values()) {
      const frames = aggregate.stack.map((frame) => mapFrame(frame, sourceMaps));
      frames.unshift({ name: aggregate.operation, file: '', line: 0, column: 0 });
      builder.addSample(frames, [Math.round(aggregate.count), Math.round(aggregate.nanos)], { ...aggregate.labels, ...labels });
    }
    return builder.build();
  }

  /** Script files of the stacks recorded so far, for loading their source maps ahead of `takeProfile`. */
  pendingFiles(): Set<string> {
    return filesOf(this.aggregates);
  }

  dispose(): void {
    this.enabled = false;
    clearInterval(this.retuneTimer);
    this.aggregates.clear();
  }
}

function filesOf(aggregates: Map<string, Aggregate>): Set<string> {
  const files = new Set<string>();
  for (const aggregate of aggregates.values()) for (const frame of aggregate.stack) if (frame.file) files.add(frame.file);
  return files;
}

function mapFrame(frame: IssuingFrame, sourceMaps: SourceMapResolver | undefined): IssuingFrame {
  const origin = sourceMaps && frame.file ? sourceMaps.resolve(frame) : undefined;
  const mapped = origin ? { name: frame.name, file: origin.file, line: origin.line, column: 0 } : frame;
  // A call site knows the line it runs, not where its function starts: the shared rule's file-only form.
  return mapped.name === '(anonymous)' ? { ...mapped, name: anonymousFunctionName(mapped.file) } : mapped;
}

function aggregateKey(kind: string, operation: string, stack: readonly IssuingFrame[], spanLabels: Readonly<Record<string, string>> | undefined): string {
  let key = `${kind}|${operation}`;
  for (const frame of stack) key += `|${frame.name}@${frame.file}:${frame.line}:${frame.column}`;
  if (spanLabels) for (const name of Object.keys(spanLabels)) key += `|${name}=${spanLabels[name]}`;
  return key;
}
