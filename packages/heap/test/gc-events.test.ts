import { ProfileReader, sampleTypesOf } from '@vigil/core';
import { gcTimeShare } from '@vigil/heap';
import { profilesIn, runApp } from './run-fixture';

describe('GC events', () => {
  it('records every GC pause as a timeline event with type, reason, end time and span labels, and the GC time share', async () => {
    // A long period so one events profile covers the whole workload, however slow the machine.
    const run = await runApp('gc', { nodeArgs: ['--expose-gc'], env: { TEST_PERIOD_MS: '60000' } });
    expect(run.code).toBe(0);
    const { forced, forcedMs } = run.truth as { forced: number; forcedMs: number };
    const events = profilesIn(run.outDir, 'events_');
    expect(events).toHaveLength(1);
    const profile = events[0]!.profile;
    expect(sampleTypesOf(profile)).toEqual([['timeline', 'nanoseconds']]);
    const reader = new ProfileReader(profile);
    const start = Number(profile.timeNanos);
    const end = start + Number(profile.durationNanos);
    let forcedMajors = 0;
    let forcedNanos = 0;
    let sum = 0;
    for (const sample of profile.sample) {
      const labels = reader.labels(sample);
      expect(labels).toMatchObject({ event: 'gc', 'thread id': '0', 'thread name': 'Main Event Loop', 'span id': '4242', 'local root span id': '4241' });
      expect(['minor', 'major', 'incremental', 'weakcb']).toContain(labels['gc type']);
      const endNs = Number(labels.end_timestamp_ns);
      // Within the period (1 ms slack: the period is cut in whole milliseconds).
      expect(endNs).toBeGreaterThan(start - 1e6);
      expect(endNs).toBeLessThan(end + 1e6);
      expect(reader.stack(sample)[0]!.name).toBe(`${labels['gc type']} GC`);
      sum += Number(sample.value[0]);
      if (labels['gc type'] === 'major' && String(labels['gc reason']).includes('forced')) {
        forcedMajors++;
        forcedNanos += Number(sample.value[0]);
      }
    }
    // Our gc() calls: each one a forced major GC, no longer than the gc() call measured around it.
    expect(forcedMajors).toBeGreaterThanOrEqual(forced);
    expect(forcedNanos / 1e6).toBeLessThanOrEqual(forcedMs + 1);
    const share = gcTimeShare(profile);
    expect(share.pauses).toBe(profile.sample.length);
    expect(share.pauseNanos).toBe(sum);
    expect(share.periodNanos).toBe(Number(profile.durationNanos));
    expect(share.share).toBeCloseTo(sum / Number(profile.durationNanos), 6);
    expect(share.share).toBeGreaterThan(0);
    expect(share.share).toBeLessThan(1);
  });
});
