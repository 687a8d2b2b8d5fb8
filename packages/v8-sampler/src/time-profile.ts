import { ProfileBuilder, type Profile } from '@vigil/core';
import type { TimeSnapshot } from './time-snapshot';

/** Which measurement of the shared snapshot a profile shows. */
export type TimeDimension = 'cpu' | 'wall';

/**
 * A pprof profile of one dimension of a snapshot: `sample/count` + `wall/nanoseconds` (every
 * tick, idle included) or `sample/count` + `cpu/nanoseconds` (ticks that used CPU, plus the other
 * threads' CPU as `(non-JS threads)`, labelled `Non-JS threads`). `labels` (e.g. the thread's) go on
 * every other sample.
 */
export function timeProfileOf(snapshot: TimeSnapshot, dimension: TimeDimension, labels: Readonly<Record<string, string>> = {}): Profile {
  const builder = new ProfileBuilder({
    sampleTypes: [['sample', 'count'], [dimension, 'nanoseconds']],
    periodType: [dimension, 'nanoseconds'],
    period: snapshot.intervalNanos,
    timeNanos: snapshot.startUnixNanos,
    durationNanos: Math.round(snapshot.durationNanos),
    defaultSampleType: dimension,
  });
  for (const sample of snapshot.samples) {
    const value = dimension === 'cpu' ? sample.cpuNanos : sample.wallNanos;
    if (value <= 0) continue;
    // The sample's own labels win: the other threads' CPU carries its own thread name.
    builder.addSample(sample.stack, [sample.hits, Math.round(value)], { ...labels, ...sample.labels });
  }
  return builder.build();
}
