import { ProfileReader, totalsByFunction } from '@vigil/core';
import { goPprofTop, hasGo, profilesOf, runFixture } from './helpers';

describe('cpu()', () => {
  it('attributes a 70/30 CPU split to the two functions within 5 points, and totals process CPU within 10 %', async () => {
    const { stdout, stderr, code, dir } = await runFixture('burn-split.ts', ['4']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const truth = JSON.parse(stdout.trim()) as { hotSeventyMs: number; coldThirtyMs: number; cpuMicros: number };
    const profiles = profilesOf(dir, 'cpu');
    expect(profiles.length).toBeGreaterThan(0);
    let hot = 0;
    let cold = 0;
    let total = 0;
    for (const { profile } of profiles) {
      const totals = totalsByFunction(profile, 'cpu');
      total += totals.total;
      hot += totals.functions.find((f) => f.name === 'hotSeventy')?.cumulative ?? 0;
      cold += totals.functions.find((f) => f.name === 'coldThirty')?.cumulative ?? 0;
    }
    const trueHotShare = truth.hotSeventyMs / (truth.hotSeventyMs + truth.coldThirtyMs);
    const measuredHotShare = hot / (hot + cold);
    console.log({ trueHotShare, measuredHotShare, profileCpuMs: total / 1e6, processCpuMs: truth.cpuMicros / 1e3 });
    expect(Math.abs(measuredHotShare - trueHotShare)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(1 - measuredHotShare - (1 - trueHotShare))).toBeLessThanOrEqual(0.05);
    expect(Math.abs(total / 1e3 / truth.cpuMicros - 1)).toBeLessThanOrEqual(0.1);
  });

  it('with a duty cycle, profiles one burst per period: each profile spans its burst and holds its CPU time', async () => {
    // 3 s periods, a third of each sampled: 1 s bursts, the first from the start, in a 4.5 s run;
    // bursts whatever their start costs (tsx's heap makes each start pause for tens of ms).
    const { stdout, stderr, code, dir } = await runFixture('burn-split.ts', ['4.5'], { DD_PROFILING_UPLOAD_PERIOD: '3', VIGIL_SAMPLING_DUTY_CYCLE: '0.34', VIGIL_SAMPLING_MAX_BURST_START_MS: '60000' });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const truth = JSON.parse(stdout.trim()) as { cpuMicros: number };
    const profiles = profilesOf(dir, 'cpu').sort((a, b) => Number(a.profile.timeNanos) - Number(b.profile.timeNanos));
    expect(profiles.length).toBeGreaterThanOrEqual(1);
    const first = profiles[0]!.profile;
    expect(Number(first.durationNanos) / 1e6).toBeGreaterThan(900);
    expect(Number(first.durationNanos) / 1e6).toBeLessThan(1300);
    let sampledNanos = 0;
    let cpuNanos = 0;
    for (const { profile } of profiles) {
      sampledNanos += Number(profile.durationNanos);
      cpuNanos += totalsByFunction(profile, 'cpu').total;
    }
    // At most two bursts of about 1 s in a run that burned 4.5 s of CPU...
    expect(sampledNanos / 1e6).toBeLessThan(2600);
    expect(cpuNanos / 1e3).toBeLessThan(truth.cpuMicros * 0.6);
    // ...and each burst's CPU time is what the spinning thread used during it.
    expect(Math.abs(cpuNanos / sampledNanos - 1)).toBeLessThanOrEqual(0.15);
  });

  it('profiles a worker thread in its own profile, labelled with its thread id and name', async () => {
    const { code, stderr, dir } = await runFixture('worker-app.ts');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const profiles = profilesOf(dir, 'cpu');
    const workerProfiles = profiles.filter((p) => p.threadId !== 0);
    const mainProfiles = profiles.filter((p) => p.threadId === 0);
    expect(workerProfiles.length).toBeGreaterThan(0);
    expect(mainProfiles.length).toBeGreaterThan(0);
    for (const { profile, threadId } of workerProfiles) {
      const totals = totalsByFunction(profile, 'cpu');
      const burn = totals.functions.find((f) => f.name === 'burnInWorker');
      expect(burn).toBeDefined();
      expect(burn!.cumulative / totals.total).toBeGreaterThan(0.5);
      const reader = new ProfileReader(profile);
      for (const sample of profile.sample) {
        expect(reader.labels(sample)).toMatchObject({ 'thread id': String(threadId), 'thread name': `Worker #${threadId} Event Loop` });
      }
    }
    for (const { profile } of mainProfiles) {
      expect(totalsByFunction(profile, 'cpu').functions.find((f) => f.name === 'burnInWorker')).toBeUndefined();
      const reader = new ProfileReader(profile);
      for (const sample of profile.sample) {
        // The process's other threads' CPU is not the main thread's: it has its own thread name.
        const nonJs = reader.stack(sample)[0]?.name === '(non-JS threads)';
        expect(reader.labels(sample)).toMatchObject(nonJs ? { 'thread id': 'NA', 'thread name': 'Non-JS threads' } : { 'thread id': '0', 'thread name': 'Main Event Loop' });
      }
    }
  });

  it('keeps the last partial period when the app calls process.exit()', async () => {
    const { code, stderr, stdout, dir } = await runFixture('exit-app.ts');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const truth = JSON.parse(stdout.trim()) as { burnCpuMs: number };
    const profiles = profilesOf(dir, 'cpu');
    expect(profiles.length).toBe(1);
    const totals = totalsByFunction(profiles[0]!.profile, 'cpu');
    const burnMs = totals.functions.find((f) => f.name === 'burnBeforeExit')!.cumulative / 1e6;
    // What this guards is the last period being there. Its burn reads 3 to 14 % low (36 runs on
    // Node 20 and 22, with and without sampling bursts, and no closer with a 1.5 s burn): within
    // 10 % failed now and then on a loaded CI machine.
    expect(Math.abs(burnMs / truth.burnCpuMs - 1)).toBeLessThanOrEqual(0.15);
  });

  (hasGo() ? it : it.skip)('writes profiles go tool pprof reads', async () => {
    const { code, dir } = await runFixture('burn-split.ts', ['1']);
    expect(code).toBe(0);
    for (const { file } of profilesOf(dir, 'cpu')) {
      const top = goPprofTop(file, 'cpu');
      expect(top.status).toBe(0);
      expect(top.output).toMatch(/hotSeventy/);
      expect(top.output).toMatch(/Type: cpu/);
    }
  });
});
