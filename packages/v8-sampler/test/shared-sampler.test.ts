import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConsoleLogger, sharedResources } from '@vigil/core';
import { acquireTimeSampler, burstLengthMs, currentTimeSampler, MIN_BURST_MS, SourceMapResolver, SPECIAL_FRAMES } from '@vigil/v8-sampler';

const ctx = { shared: sharedResources, env: {}, logger: createConsoleLogger('silent') };

function spin(ms: number): void {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

describe('the shared V8 time sampler', () => {
  it('is one sampler per thread for every acquirer, stopped by the last release', async () => {
    const first = acquireTimeSampler(ctx);
    const second = acquireTimeSampler(ctx);
    expect(second.value).toBe(first.value);
    expect(currentTimeSampler()).toBe(first.value);
    first.release();
    expect(second.value.running).toBe(true);
    second.release();
    expect(first.value.running).toBe(false);
    expect(currentTimeSampler()).toBeUndefined();
  });

  it('lets the app run between a period\'s capture and its conversion: a period end is short pauses, not one long one', async () => {
    const lease = acquireTimeSampler(ctx, { sourceMaps: false });
    try {
      spin(50);
      const order: string[] = [];
      const snapshot = lease.value.take({ seq: 1, endMs: Date.now() }).then(() => order.push('snapshot'));
      // Work the app queued while V8's profiler restarted (an incoming request's callback).
      setImmediate(() => order.push('app'));
      await snapshot;
      expect(order).toEqual(['app', 'snapshot']);
    } finally {
      lease.release();
    }
  });

  it('stops once per period: every collector asking for the same period gets the same snapshot', async () => {
    const lease = acquireTimeSampler(ctx);
    try {
      spin(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const period = { seq: 1, endMs: Date.now() };
      const [a, b] = await Promise.all([lease.value.take(period), lease.value.take(period)]);
      expect(b).toBe(a);
      expect(lease.value.takeSync(period).samples.length).toBe(a.samples.length);
      // Idle time is kept, with its wall time, and the whole window adds up.
      const leafNames = new Set(a.samples.map((s) => s.stack[0]!.name));
      expect(leafNames.has(SPECIAL_FRAMES.idle)).toBe(true);
      const wallNanos = a.samples.reduce((sum, s) => sum + s.wallNanos, 0);
      expect(Math.abs(wallNanos / a.durationNanos - 1)).toBeLessThan(0.01);
      expect(a.durationNanos / 1e6).toBeGreaterThan(350);
      // The next period is a new window that starts where this one ended.
      const next = await lease.value.take({ seq: 2, endMs: Date.now() });
      expect(next.startUnixNanos).toBeGreaterThanOrEqual(a.startUnixNanos + BigInt(Math.round(a.durationNanos)) - 50_000_000n);
    } finally {
      lease.release();
    }
  });

  it('a final capture turns V8\'s profiler off without a restart, unless another profiler still holds the sampler', async () => {
    // Collector contexts are one per profiler start: A's cpu and wall share one, B has its own.
    const profilerA = { ...ctx };
    const profilerB = { ...ctx };
    const cpuA = acquireTimeSampler(profilerA);
    const wallA = acquireTimeSampler(profilerA);
    const cpuB = acquireTimeSampler(profilerB);
    const sampler = cpuA.value;
    try {
      spin(100);
      const lastOfA = await sampler.take({ seq: 1, endMs: Date.now(), final: true });
      expect(lastOfA.samples.length).toBeGreaterThan(0);
      expect(sampler.sampling).toBe(true); // B still needs samples: restarted
      cpuA.release();
      wallA.release();
      spin(100);
      const lastOfB = await sampler.take({ seq: 9, endMs: Date.now(), final: true });
      expect(lastOfB.samples.length).toBeGreaterThan(0);
      expect(sampler.sampling).toBe(false); // nobody else: stopped, not restarted
      expect(sampler.running).toBe(true); // until the release
      expect((await sampler.take({ seq: 10, endMs: Date.now() })).samples).toEqual([]);
    } finally {
      cpuA.release();
      wallA.release();
      cpuB.release();
    }
    expect(sampler.running).toBe(false);
  });

  it('with a duty cycle, samples one burst per cycle and leaves V8\'s profiler off in between', async () => {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // A quarter of a 4 s period: 1 s bursts, the first from the start, then one per 4 s cycle.
    const startedAt = Date.now();
    // Bursts whatever their start costs: jest's own heap makes each start pause for tens of ms.
    const lease = acquireTimeSampler({ ...ctx, periodMs: 4000 }, { dutyCycle: 0.25, maxBurstStartMs: 60_000 });
    const sampler = lease.value;
    try {
      expect(sampler.sampling).toBe(true);
      spin(300);
      await sleep(1200);
      expect(sampler.sampling).toBe(false);
      const first = await sampler.take({ seq: 1, endMs: Date.now() });
      expect(first.durationNanos / 1e6).toBeGreaterThan(900);
      expect(first.durationNanos / 1e6).toBeLessThan(1300);
      expect(first.samples.reduce((sum, s) => sum + s.cpuNanos, 0) / 1e6).toBeGreaterThan(200);
      // The next burst starts at a random point of the next cycle: 4 to 7 s after the start.
      while (!sampler.sampling && Date.now() - startedAt < 7500) await sleep(10);
      expect(sampler.sampling).toBe(true);
      const burstStartMs = Date.now();
      expect(burstStartMs - startedAt).toBeGreaterThanOrEqual(3990);
      spin(200);
      // A capture in the middle of a burst takes what it holds so far; the burst goes on to its end.
      const second = await sampler.take({ seq: 2, endMs: Date.now() });
      expect(sampler.sampling).toBe(true);
      // (V8's start takes tens of milliseconds: the burst's clock starts before the flag is seen.)
      expect(Number(second.startUnixNanos / 1_000_000n)).toBeGreaterThanOrEqual(startedAt + 3990);
      expect(Number(second.startUnixNanos / 1_000_000n)).toBeLessThanOrEqual(burstStartMs + 5);
      expect(second.durationNanos / 1e6).toBeGreaterThan(150);
      while (sampler.sampling && Date.now() - burstStartMs < 1500) await sleep(10);
      expect(sampler.sampling).toBe(false);
      const third = await sampler.take({ seq: 3, endMs: Date.now() });
      expect((second.durationNanos + third.durationNanos) / 1e6).toBeGreaterThan(900);
      expect((second.durationNanos + third.durationNanos) / 1e6).toBeLessThan(1300);
      // Between bursts, nothing is recorded.
      const fourth = await sampler.take({ seq: 4, endMs: Date.now() });
      expect(fourth.samples).toEqual([]);
    } finally {
      lease.release();
    }
    expect(sampler.running).toBe(false);
    expect(sampler.sampling).toBe(false);
  }, 20_000);

  it('with a duty cycle, its burst timers never keep a process alive', () => {
    // A process that only starts the sampler: its first burst ends after 1 s, the next is due 4 to
    // 7 s after the start. The process must end on its own once its own 1.3 s timer has fired.
    const script = [
      "const { createConsoleLogger, sharedResources } = require('@vigil/core');",
      "const { acquireTimeSampler } = require('@vigil/v8-sampler');",
      "const lease = acquireTimeSampler({ shared: sharedResources, env: {}, logger: createConsoleLogger('silent'), periodMs: 4000 }, { dutyCycle: 0.25 });",
      "setTimeout(() => process.stdout.write(lease.value.sampling ? 'sampling' : 'between bursts'), 1300);",
    ].join('\n');
    const startedAt = Date.now();
    const run = spawnSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..'), encoding: 'utf8', timeout: 15_000 });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({ status: 0, stdout: 'between bursts', stderr: '' });
    expect(Date.now() - startedAt).toBeLessThan(3500);
  });

  it('samples all the time from the first burst\'s end when the next start would pause the app too long', async () => {
    const messages: string[] = [];
    const logger = { ...createConsoleLogger('silent'), info: (m: string) => messages.push(m) };
    // No pause allowed: the first burst is also the last, and sampling goes on past its end.
    const lease = acquireTimeSampler({ ...ctx, logger, periodMs: 4000 }, { dutyCycle: 0.25, maxBurstStartMs: 0 });
    const sampler = lease.value;
    try {
      expect(sampler.bursting).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1300));
      expect({ bursting: sampler.bursting, sampling: sampler.sampling }).toEqual({ bursting: false, sampling: true });
      expect(messages).toEqual([expect.stringMatching(/^sampling all the time from now on: starting the next sampling burst would pause the app about \d+ ms/)]);
      spin(200);
      // One window from the start to now, past the 1 s burst; the capture restarts V8's profiler.
      const first = await sampler.take({ seq: 1, endMs: Date.now() });
      expect(first.durationNanos / 1e6).toBeGreaterThan(1400);
      expect(sampler.sampling).toBe(true);
      spin(100);
      expect((await sampler.take({ seq: 2, endMs: Date.now() })).samples.length).toBeGreaterThan(0);
    } finally {
      lease.release();
    }
  });

  it('stops bursting in a process with a big heap, where each start walks it, and keeps bursting in a small one', () => {
    // The default limit (100 ms), real heaps: 200 MB of small live objects, built after the start,
    // cost about 150-200 ms per start on these machines (the walk is about 0.7-0.95 ms per MB).
    const run = (objects: number) => {
      const script = [
        "const { createConsoleLogger, sharedResources } = require('@vigil/core');",
        "const { acquireTimeSampler } = require('@vigil/v8-sampler');",
        "const lease = acquireTimeSampler({ shared: sharedResources, env: {}, logger: createConsoleLogger('silent'), periodMs: 4000 }, { dutyCycle: 0.25 });",
        `globalThis.keep = Array.from({ length: ${objects} }, (_, i) => ({ i, s: 'x' + i, a: [i] }));`,
        "setTimeout(() => { process.stdout.write(JSON.stringify({ bursting: lease.value.bursting, sampling: lease.value.sampling })); lease.release(); }, 1500);",
      ].join('\n');
      const child = spawnSync(process.execPath, ['-e', script], { cwd: join(__dirname, '..'), encoding: 'utf8', timeout: 30_000 });
      expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 0, stderr: '' });
      return JSON.parse(child.stdout) as { bursting: boolean; sampling: boolean };
    };
    expect(run(1_300_000)).toEqual({ bursting: false, sampling: true });
    expect(run(1000)).toEqual({ bursting: true, sampling: false });
  }, 60_000);

  it('samples all the time with a duty cycle of 1 or bursts that would fill the period', () => {
    expect(burstLengthMs(1, 60_000)).toBeUndefined();
    expect(burstLengthMs(1 / 6, 60_000)).toBe(10_000);
    // Bursts are at least MIN_BURST_MS: at a 1 s period that is the whole period.
    expect(burstLengthMs(1 / 6, MIN_BURST_MS)).toBeUndefined();
    expect(burstLengthMs(0.01, 10_000)).toBe(MIN_BURST_MS);
  });

  it('warns when a second acquirer asks for different options, and shares the running sampler', () => {
    const warnings: string[] = [];
    const logger = { ...createConsoleLogger('silent'), warn: (m: string) => warnings.push(m) };
    const first = acquireTimeSampler({ ...ctx, logger }, { samplingHz: 99 });
    const second = acquireTimeSampler({ ...ctx, logger }, { samplingHz: 50 });
    expect(second.value).toBe(first.value);
    expect(warnings.join('\n')).toMatch(/already running with other options \(samplingIntervalMicros: running 10101, asked 20000\)/);
    first.release();
    second.release();
  });

  it('warns about a bad VIGIL_SAMPLING_HZ and uses 99 Hz', () => {
    const warnings: string[] = [];
    const logger = { ...createConsoleLogger('silent'), warn: (m: string) => warnings.push(m) };
    const lease = acquireTimeSampler({ ...ctx, env: { VIGIL_SAMPLING_HZ: 'fast' }, logger });
    expect(lease.value.options.samplingIntervalMicros).toBe(10101);
    expect(warnings).toEqual(['VIGIL_SAMPLING_HZ="fast" is not a number of Hz in [1, 1000]; using 99']);
    lease.release();
  });
});

describe('SourceMapResolver', () => {
  it('keeps parsed maps within its memory budget and reloads an evicted map when needed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-maps-'));
    const scripts = [0, 1, 2].map((i) => {
      const file = join(dir, `bundle${i}.js`);
      writeFileSync(file, `function f${i}(){}\n//# sourceMappingURL=bundle${i}.js.map\n`);
      // A mapping from generated 1:1 to src/file<i>.ts line 5, padded to a known size.
      writeFileSync(`${file}.map`, JSON.stringify({ version: 3, sources: [`src/file${i}.ts`], names: [], mappings: 'AAIA', x: 'p'.repeat(20_000) }));
      return file;
    });
    const oneMapCost = 4 * 20_100;
    const resolver = new SourceMapResolver(2 * oneMapCost);
    await resolver.prepare(scripts);
    expect(resolver.cacheBytes).toBeLessThanOrEqual(2 * oneMapCost);
    expect(resolver.resolve({ file: scripts[2]!, line: 1, column: 1 })).toEqual({ file: join(dir, 'src/file2.ts'), line: 5, name: undefined });
    expect(resolver.resolve({ file: scripts[0]!, line: 1, column: 1 })).toBeUndefined();
    resolver.prepareSync([scripts[0]!]);
    expect(resolver.resolve({ file: scripts[0]!, line: 1, column: 1 })).toEqual({ file: join(dir, 'src/file0.ts'), line: 5, name: undefined });
    expect(resolver.cacheBytes).toBeLessThanOrEqual(2 * oneMapCost);
  });
});
