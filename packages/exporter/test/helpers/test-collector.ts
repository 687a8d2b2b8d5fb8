import { ProfileBuilder, type Collector, type CollectResult, type Period } from '@vigil/core';

/**
 * A small collector for tests and fixtures: counts calls of `work()` per function name and turns
 * them into a real pprof profile (`sample/count` + `wall/nanoseconds`) built with core's
 * ProfileBuilder. `extraSamples` pads the profile to a realistic size.
 */
export class CountingCollector implements Collector {
  readonly name: string;
  private counts = new Map<string, number>();

  constructor(readonly type: string = 'wall', private readonly extraSamples = 0) {
    this.name = `counting-${type}`;
  }

  record(fn: string, times = 1): void {
    this.counts.set(fn, (this.counts.get(fn) ?? 0) + times);
  }

  start(): void {}

  async collect(period: Period): Promise<CollectResult> {
    return this.collectSync(period);
  }

  collectSync(period: Period): CollectResult {
    const builder = new ProfileBuilder({
      sampleTypes: [['sample', 'count'], ['wall', 'nanoseconds']],
      periodType: ['wall', 'nanoseconds'],
      period: 10_000_000,
      timeNanos: BigInt(period.startMs) * 1_000_000n,
      durationNanos: BigInt(period.endMs - period.startMs) * 1_000_000n,
    });
    for (const [fn, count] of this.counts) builder.addSample([{ name: fn, file: '/app/work.js', line: 3 }, { name: 'main', file: '/app/index.js', line: 1 }], [count, count * 10_000_000]);
    for (let i = 0; i < this.extraSamples; i++) {
      builder.addSample([{ name: `fn${i % 400}`, file: `/app/mod${i % 37}.js`, line: i % 90 }, { name: `caller${i % 50}`, file: '/app/c.js', line: 1 }, { name: 'main', file: '/app/index.js', line: 1 }], [1, 10_000_000], { 'span id': String(i) });
    }
    this.counts = new Map();
    return { profiles: [{ type: this.type, profile: builder.build() }], errors: [] };
  }

  async stop(): Promise<void> {}
}
