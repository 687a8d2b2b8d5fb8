import { TIMED_OUT, withResponsiveDeadline } from './deadline';
import { toError } from './export-lane';
import type { ProblemReporter } from './logger';
import type { CollectResult, Collector, CollectorContext, Period } from './types';

/**
 * Runs the collectors: starts them, collects a period from each with a deadline (a collector that
 * hangs loses its period and is skipped until it finishes), validates what they return, and stops
 * them. No collector's failure reaches another one or the app.
 */
export class CollectorRunner {
  private readonly running = new Set<Collector>();
  private readonly hung = new Set<Collector>();

  constructor(
    private readonly collectors: readonly Collector[],
    private readonly collectTimeoutMs: number,
    private readonly problems: ProblemReporter,
  ) {}

  get size(): number {
    return this.collectors.length;
  }

  startAll(ctx: CollectorContext): void {
    for (const collector of this.collectors) {
      try {
        collector.start(ctx);
        this.running.add(collector);
      } catch (error) {
        this.problems.report(`collector-start:${collector.name}`, `collector ${collector.name} failed to start and is off: ${toError(error).message}`);
      }
    }
  }

  /** Collects `period` from every running collector; `preferSync` takes the synchronous path where there is one. */
  collectAll(period: Period, preferSync: boolean): Promise<CollectResult[]> {
    return Promise.all(this.runningCollectors().map((c) => this.collectFrom(c, period, preferSync)));
  }

  /** For the `exit` event: only collectors with a synchronous path contribute. */
  collectAllSync(period: Period): CollectResult[] {
    return this.runningCollectors().map((c) => {
      if (c.collectSync) return this.collectFromSync(c, period);
      this.problems.report(`exit-no-sync-collect:${c.name}`, `collector ${c.name} cannot collect synchronously; its last partial period is lost on process.exit()`);
      return { profiles: [], errors: [] };
    });
  }

  /** Stops every running collector, each bounded by `remainingMs()`. */
  async stopAll(bounded: (kind: string, work: () => Promise<void>) => Promise<void>): Promise<void> {
    await Promise.all(this.runningCollectors().map((c) => bounded(`collector-stop:${c.name}`, () => c.stop())));
    this.running.clear();
  }

  /** Validates a result handed in from outside the period cycle (an urgent export) the same way. */
  checked(name: string, result: CollectResult, period: Period): CollectResult {
    if (!result || !Array.isArray(result.profiles)) {
      return this.failed(name, new Error(`collect() returned ${String(result)} instead of { profiles, errors }`));
    }
    for (const error of result.errors ?? []) {
      this.problems.report(`collector-error:${name}`, `collector ${name}: ${toError(error).message}`);
    }
    const profiles = result.profiles.filter((p) => p && typeof p.type === 'string' && p.profile);
    // Stamp the period's time window on profiles that lack one.
    for (const { profile } of profiles) {
      if (!profile.timeNanos || Number(profile.timeNanos) === 0) profile.timeNanos = BigInt(period.startMs) * 1_000_000n;
      if (!profile.durationNanos || Number(profile.durationNanos) === 0) profile.durationNanos = BigInt(period.endMs - period.startMs) * 1_000_000n;
    }
    return { profiles, errors: result.errors ?? [], endpointCounts: result.endpointCounts };
  }

  private runningCollectors(): Collector[] {
    return this.collectors.filter((c) => this.running.has(c));
  }

  private async collectFrom(collector: Collector, period: Period, preferSync: boolean): Promise<CollectResult> {
    const name = collector.name;
    if (this.hung.has(collector)) return this.failed(name, new Error(`collector ${name} is still busy with an earlier period`));
    // The final period prefers the synchronous path, so an abrupt exit racing the flush finds it done.
    if (preferSync && collector.collectSync) return this.collectFromSync(collector, period);
    let pending: Promise<CollectResult>;
    try {
      pending = Promise.resolve(collector.collect(period));
    } catch (error) {
      return this.failed(name, toError(error));
    }
    try {
      // Time the app kept the event loop busy is not the collector's.
      const result = await withResponsiveDeadline(pending, this.collectTimeoutMs);
      if (result === TIMED_OUT) {
        this.hung.add(collector);
        void pending.catch(() => undefined).finally(() => this.hung.delete(collector));
        return this.failed(name, new Error(`collector ${name} did not finish collect() within ${this.collectTimeoutMs} ms`));
      }
      return this.checked(name, result, period);
    } catch (error) {
      return this.failed(name, toError(error));
    }
  }

  private collectFromSync(collector: Collector, period: Period): CollectResult {
    try {
      return this.checked(collector.name, collector.collectSync!(period), period);
    } catch (error) {
      return this.failed(collector.name, toError(error));
    }
  }

  private failed(name: string, error: Error): CollectResult {
    this.problems.report(`collector-failed:${name}`, `collector ${name} lost this period's data: ${error.message}`);
    return { profiles: [], errors: [error] };
  }
}
