import { EnvReader, ProblemReporter, type CollectResult, type Collector, type CollectorContext, type Period } from '@vigil/core';
import { installLockInstrumentation, type InstrumentationOptions } from './instrumentation';
import { attachSink, activeCapturePct } from './recorder';
import { buildLockProfile, SampleTable } from './sample-table';

/**
 * Default share of lock events captured, in percent. Chosen by measurement (bench/overhead.ts):
 * see the README's overhead table.
 */
export const DEFAULT_CAPTURE_PCT = 0.1;
export const DEFAULT_MAX_SAMPLES_PER_PERIOD = 10_000;
export const DEFAULT_MAX_STACK_DEPTH = 32;

export interface LockCollectorOptions {
  /**
   * Percentage of lock acquisitions captured (0-100). Default VIGIL_LOCK_CAPTURE_PCT, else
   * DD_PROFILING_CAPTURE_PCT, else DEFAULT_CAPTURE_PCT.
   */
  capturePct?: number;
  /** Distinct samples kept per period before new ones are summed into an overflow sample. Default VIGIL_LOCK_MAX_SAMPLES or 10000. */
  maxSamplesPerPeriod?: number;
  /** Frames kept per stack. Default 32. */
  maxStackDepth?: number;
  /**
   * Instrument lock libraries the app uses (async-mutex, async-lock, navigator.locks). Default
   * VIGIL_LOCK_INSTRUMENT or true; an object picks libraries.
   */
  instrument?: boolean | InstrumentationOptions;
}

/**
 * The lock contention collector: a profile of type 'lock' per period with `lock-acquire/count`,
 * `lock-acquire-wait/nanoseconds`, `lock-release/count` and `lock-release-hold/nanoseconds`,
 * attributed to the stack that asked for each lock and labelled with its `lock name`.
 */
export function lock(options: LockCollectorOptions = {}): Collector {
  return new LockCollector(options);
}

class LockCollector implements Collector {
  readonly name = 'lock';
  private table?: SampleTable;
  private detach?: () => void;
  private capturePct = DEFAULT_CAPTURE_PCT;
  private problems?: ProblemReporter;

  constructor(private readonly options: LockCollectorOptions) {}

  start(ctx: CollectorContext): void {
    if (this.table) return;
    this.problems = new ProblemReporter(ctx.logger);
    const env = new EnvReader(ctx.env, (message) => ctx.logger.warn(message));
    const pctRule = { min: 0, max: 100, unit: 'percent' };
    const envPct = ctx.env.VIGIL_LOCK_CAPTURE_PCT !== undefined
      ? env.number('VIGIL_LOCK_CAPTURE_PCT', DEFAULT_CAPTURE_PCT, pctRule)
      : env.number('DD_PROFILING_CAPTURE_PCT', DEFAULT_CAPTURE_PCT, pctRule);
    this.capturePct = validOption(this.options.capturePct, (v) => v >= 0 && v <= 100, 'capturePct', envPct, ctx);
    const maxSamples = validOption(this.options.maxSamplesPerPeriod, (v) => Number.isInteger(v) && v >= 1, 'maxSamplesPerPeriod',
      env.number('VIGIL_LOCK_MAX_SAMPLES', DEFAULT_MAX_SAMPLES_PER_PERIOD, { min: 1, integer: true }), ctx);
    const maxDepth = validOption(this.options.maxStackDepth, (v) => Number.isInteger(v) && v >= 1, 'maxStackDepth', DEFAULT_MAX_STACK_DEPTH, ctx);
    const instrument = this.options.instrument ?? env.bool('VIGIL_LOCK_INSTRUMENT', true);

    this.table = new SampleTable(maxSamples);
    this.detach = attachSink(this.table, this.capturePct, maxDepth);
    const inForce = activeCapturePct();
    if (inForce !== this.capturePct) {
      ctx.logger.warn(`lock: another lock collector already samples at ${inForce}%; this one uses that rate instead of ${this.capturePct}%`);
      this.capturePct = inForce;
    }
    if (instrument !== false) {
      try {
        const problems = installLockInstrumentation(instrument === true ? {} : instrument);
        for (const p of problems) this.problems.report(`instrument:${p.library}`, `lock: could not instrument ${p.library}: ${p.message}`);
      } catch (error) {
        this.problems.report('instrument', `lock: instrumentation failed: ${String(error)}`);
      }
    }
  }

  collect(period: Period): Promise<CollectResult> {
    return Promise.resolve(this.collectSync(period));
  }

  collectSync(period: Period): CollectResult {
    if (!this.table) return { profiles: [], errors: [] };
    try {
      const { samples, droppedEvents } = this.table.drain();
      if (droppedEvents > 0) {
        this.problems?.report('sample-cap', `lock: ${droppedEvents} lock events over the per-period sample cap were summed into one overflow sample`);
      }
      const profile = buildLockProfile(samples, {
        timeNanos: BigInt(period.startMs) * 1_000_000n,
        durationNanos: BigInt(Math.max(0, period.endMs - period.startMs)) * 1_000_000n,
        capturePct: this.capturePct,
        droppedEvents,
      });
      return { profiles: [{ type: 'lock', profile }], errors: [] };
    } catch (error) {
      return { profiles: [], errors: [error instanceof Error ? error : new Error(String(error))] };
    }
  }

  async stop(): Promise<void> {
    this.detach?.();
    this.detach = undefined;
    this.table = undefined;
  }
}

function validOption(value: number | undefined, ok: (v: number) => boolean, name: string, fallback: number, ctx: CollectorContext): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && ok(value)) return value;
  ctx.logger.warn(`lock: option ${name}=${JSON.stringify(value)} is not valid; using ${fallback}`);
  return fallback;
}
