import { findLeakSuspects } from '@vigil/heap';
import { commentsOf, profilesIn, runApp } from './run-fixture';

describe('leak suspects', () => {
  it('ranks the one leaking site first within a few periods, in the collector and in findLeakSuspects', async () => {
    const run = await runApp('leak', { env: { TEST_PERIODS: '10' } });
    expect(run.code).toBe(0);
    const spaces = profilesIn(run.outDir, 'space_');
    expect(spaces.length).toBeGreaterThanOrEqual(7);
    // The collector's own history: the first profile naming a suspect names leakyCache first.
    const firstWithSuspect = spaces.findIndex((s) => commentsOf(s.profile).some((c) => c.startsWith('leak suspect #1')));
    expect(firstWithSuspect).toBeGreaterThanOrEqual(0);
    expect(firstWithSuspect).toBeLessThan(8);
    for (const s of spaces.slice(firstWithSuspect)) {
      expect(commentsOf(s.profile).find((c) => c.startsWith('leak suspect #1'))).toMatch(/leakyCache/);
    }
    expect(run.stderr).toMatch(/warn: heap: leak suspect #1: leakyCache/);
    // The CLI/viewer path: consecutive files, in any order.
    const suspects = findLeakSuspects(spaces.map((s) => s.profile).reverse());
    expect(suspects[0]?.name).toBe('leakyCache');
    expect(suspects[0]!.growthBytesPerMinute).toBeGreaterThan(0);
    expect(suspects.some((s) => s.name === 'churnGarbage' || s.name === 'boundedCache')).toBe(false);
  });

  it('reports no suspect for a steady app that churns garbage and keeps a bounded cache', async () => {
    const run = await runApp('steady', { env: { TEST_PERIODS: '10' } });
    expect(run.code).toBe(0);
    const spaces = profilesIn(run.outDir, 'space_');
    expect(spaces.length).toBeGreaterThanOrEqual(7);
    expect(findLeakSuspects(spaces.map((s) => s.profile))).toEqual([]);
    expect(spaces.every((s) => !commentsOf(s.profile).some((c) => c.startsWith('leak suspect')))).toBe(true);
    expect(run.stderr).not.toMatch(/leak suspect/);
  });
});
