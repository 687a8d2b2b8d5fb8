import { totalsByFunction, ProfileReader, sampleTypeIndex, sampleTypesOf } from '@vigil/core';
import { goPprofTop, hasGo, profilesOf, runFixture } from './helpers';

function sumBy(profiles: ReturnType<typeof profilesOf>, type: string, name: string): { value: number; total: number } {
  let value = 0;
  let total = 0;
  for (const { profile } of profiles) {
    const totals = totalsByFunction(profile, type);
    total += totals.total;
    value += totals.functions.find((f) => f.name === name)?.cumulative ?? 0;
  }
  return { value, total };
}

describe('wall()', () => {
  it('shows the share of elapsed time spent waiting on timers as (idle), within 10 points, and adds up to elapsed time', async () => {
    const run = await runFixture('waits.ts', ['timer-share']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const truth = JSON.parse(run.stdout.trim()) as { waitedMs: number; busyMs: number; elapsedMs: number; profiledMs: number };
    const walls = profilesOf(run.dir, 'wall');
    expect(walls.length).toBeGreaterThanOrEqual(3);
    const idle = sumBy(walls, 'wall', '(idle)');
    const busy = sumBy(walls, 'wall', 'busyWork');
    const trueWaitShare = truth.waitedMs / truth.elapsedMs;
    const idleShare = idle.value / idle.total;
    const trueBusyShare = truth.busyMs / truth.elapsedMs;
    console.log({ trueWaitShare, idleShare, trueBusyShare, busyShare: busy.value / busy.total, wallTotalMs: idle.total / 1e6, profiledMs: truth.profiledMs });
    expect(Math.abs(idleShare - trueWaitShare)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(busy.value / busy.total - trueBusyShare)).toBeLessThanOrEqual(0.1);
    // Wall time adds up to the time profiled (idle and runtime frames are kept, not dropped).
    expect(Math.abs(idle.total / 1e6 / truth.profiledMs - 1)).toBeLessThanOrEqual(0.1);
    // cpu() and wall() run on one sampler: each period's two profiles cover the very same window.
    const cpus = profilesOf(run.dir, 'cpu');
    expect(cpus.map((p) => p.file.replace('/cpu-', '/wall-')).sort()).toEqual(walls.map((p) => p.file).sort());
    for (const { file, profile } of walls) {
      const twin = cpus.find((p) => p.file === file.replace('/wall-', '/cpu-'))!.profile;
      expect([twin.timeNanos, twin.durationNanos]).toEqual([profile.timeNanos, profile.durationNanos]);
    }
    if (hasGo()) {
      for (const { file } of [...walls.slice(0, 1), ...cpus.slice(0, 1)]) {
        const top = goPprofTop(file);
        expect(top.status).toBe(0);
        expect(top.output).toMatch(/busyWork/);
      }
    }
  });

  it('attributes time awaiting a slow HTTP server, a slow file and a timer to the functions that issued them', async () => {
    // A budget above this workload's rate of operations: this test is about attribution; sampling
    // estimates are tested in io-wait-behaviour.test.ts.
    const run = await runFixture('waits.ts', ['io'], { VIGIL_IO_WAIT_SAMPLES_PER_SECOND: '100' });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const truth = JSON.parse(run.stdout.trim()) as { httpMs: number; fileMs: number; timerMs: number };
    const ioWaits = profilesOf(run.dir, 'io-wait');
    expect(ioWaits.length).toBeGreaterThan(0);
    const byKind: Record<string, Record<string, number>> = {};
    for (const { profile } of ioWaits) {
      const reader = new ProfileReader(profile);
      // Distinct type names: `io-wait` is the time, `io-wait-count` the number of waits.
      expect(sampleTypesOf(profile)).toEqual([['io-wait-count', 'count'], ['io-wait', 'nanoseconds']]);
      const nanos = sampleTypeIndex(profile, 'io-wait');
      for (const sample of profile.sample) {
        const kind = String(reader.labels(sample)['io kind']);
        const names = reader.stack(sample).map((f) => f.name);
        const issuer = names.find((n) => ['fetchSlowOrder', 'readSlowFile', 'waitOnTimer'].includes(n)) ?? '(other)';
        byKind[kind] ??= {};
        byKind[kind]![issuer] = (byKind[kind]![issuer] ?? 0) + Number(sample.value[nanos]) / 1e6;
      }
    }
    console.log({ truth, byKind });
    const close = (measured: number | undefined, expected: number) => expect(Math.abs((measured ?? 0) / expected - 1)).toBeLessThanOrEqual(0.15);
    close(byKind.http?.fetchSlowOrder, truth.httpMs);
    close(byKind.fs?.readSlowFile, truth.fileMs);
    close(byKind.timer?.waitOnTimer, truth.timerMs);
    if (hasGo()) {
      const top = goPprofTop(ioWaits[0]!.file, 'io-wait');
      expect(top.status).toBe(0);
      expect(top.output).toMatch(/Type: io-wait/);
    }
  });

  it('records no I/O waits and patches nothing with VIGIL_IO_WAIT_ENABLED=false', async () => {
    const run = await runFixture('waits.ts', ['io'], { VIGIL_IO_WAIT_ENABLED: 'false' });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(profilesOf(run.dir, 'io-wait')).toEqual([]);
    expect(profilesOf(run.dir, 'wall').length).toBeGreaterThan(0);
  });
});
