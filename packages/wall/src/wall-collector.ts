import type { CollectResult, Collector, CollectorContext, Lease, NamedProfile, Period } from '@vigil/core';
import { acquireTimeSampler, threadLabels, timeProfileOf, type TimeSnapshot, type V8TimeSampler } from '@vigil/v8-sampler';
import { acquireIoWait, type IoWaitInstrumentation } from './io-wait/instrumentation';
import { resolveIoWaitOptions, type WallOptions } from './wall-options';

/** The NamedProfile type of wall profiles. */
export const WALL_PROFILE_TYPE = 'wall';
/** The NamedProfile type of I/O wait profiles. */
export const IO_WAIT_PROFILE_TYPE = 'io-wait';

/**
 * Wall time per stack (`sample/count` + `wall/nanoseconds`) from this thread's shared V8 sampler,
 * idle and runtime time included as `(idle)`, `(program)` and `(garbage collector)`, plus, unless
 * turned off, an `io-wait` profile: time spent awaiting fs, dns, net, http and timer operations,
 * attributed to the stack that started them.
 */
export function wall(options: WallOptions = {}): Collector {
  return new WallCollector(options);
}

class WallCollector implements Collector {
  readonly name = 'wall';
  private sampler: Lease<V8TimeSampler> | undefined;
  private ioWait: Lease<IoWaitInstrumentation> | undefined;
  private labels: Record<string, string> = {};

  constructor(private readonly options: WallOptions) {}

  start(ctx: CollectorContext): void {
    if (this.sampler) return;
    this.labels = threadLabels(ctx.runtime);
    this.sampler = acquireTimeSampler(ctx, this.options);
    const ioWaitOptions = resolveIoWaitOptions(this.options, ctx.env, ctx.logger);
    if (ioWaitOptions.enabled && ioWaitOptions.kinds.length > 0) {
      try {
        this.ioWait = acquireIoWait(ctx.shared, ioWaitOptions);
      } catch (error) {
        ctx.logger.warn(`I/O wait profiling is off: ${(error as Error).message}`);
      }
    }
  }

  async collect(period: Period): Promise<CollectResult> {
    const sampler = this.sampler?.value;
    if (!sampler) return { profiles: [], errors: [] };
    const profiles: NamedProfile[] = [];
    const errors: Error[] = [];
    try {
      this.addWall(await sampler.take(period), profiles);
    } catch (error) {
      errors.push(asError(error));
    }
    try {
      const tracker = this.ioWait?.value.tracker;
      const maps = sampler.sourceMapResolver;
      if (tracker) {
        if (maps) await maps.prepare(tracker.pendingFiles());
        this.addIoWait(tracker.takeProfile(this.labels, maps), profiles);
      }
    } catch (error) {
      errors.push(asError(error));
    }
    return { profiles, errors };
  }

  collectSync(period: Period): CollectResult {
    const sampler = this.sampler?.value;
    if (!sampler) return { profiles: [], errors: [] };
    const profiles: NamedProfile[] = [];
    const errors: Error[] = [];
    try {
      this.addWall(sampler.takeSync(period), profiles);
    } catch (error) {
      errors.push(asError(error));
    }
    try {
      const tracker = this.ioWait?.value.tracker;
      if (tracker) this.addIoWait(tracker.takeProfile(this.labels, sampler.sourceMapResolver, 'sync'), profiles);
    } catch (error) {
      errors.push(asError(error));
    }
    return { profiles, errors };
  }

  async stop(): Promise<void> {
    this.ioWait?.release();
    this.ioWait = undefined;
    this.sampler?.release();
    this.sampler = undefined;
  }

  private addWall(snapshot: TimeSnapshot, profiles: NamedProfile[]): void {
    if (snapshot.samples.length > 0) profiles.push({ type: WALL_PROFILE_TYPE, profile: timeProfileOf(snapshot, 'wall', this.labels) });
  }

  private addIoWait(profile: NamedProfile['profile'] | undefined, profiles: NamedProfile[]): void {
    if (profile) profiles.push({ type: IO_WAIT_PROFILE_TYPE, profile });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
