import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeProfileSync, setSpanLabelsProvider, sampleTypesOf, stringAt } from '@vigil/core';
import { DEFAULT_CAPTURE_PCT, LockTimeoutError, Mutex, RWLock, Semaphore } from '@vigil/lock';
import { lockSamples, profileLocks, sleep, sum } from './helpers';

test('the profile has the four lock sample types, period type, times and the capture percentage in its comments', async () => {
  const { profiles } = await profileLocks(async () => {
    const m = new Mutex();
    await m.runExclusive(() => sleep(1));
  }, { capturePct: 100 });
  expect(profiles).toHaveLength(1);
  const profile = profiles[0]!;
  expect(sampleTypesOf(profile)).toEqual([
    ['lock-acquire', 'count'], ['lock-acquire-wait', 'nanoseconds'], ['lock-release', 'count'], ['lock-release-hold', 'nanoseconds'],
  ]);
  expect(stringAt(profile, profile.periodType!.type)).toBe('lock-acquire-wait');
  expect(Number(profile.timeNanos)).toBeGreaterThan(0);
  expect(Number(profile.durationNanos)).toBeGreaterThan(0);
  expect(profile.comment.map((c) => stringAt(profile, c))).toContain('capture_pct=100');
});

test('lock names: given name, variable name, and creation line', async () => {
  const { profiles } = await profileLocks(async () => {
    const poolSlots = new Semaphore(2);
    const named = new Mutex({ name: 'user-cache' });
    const catalog = new RWLock();
    await poolSlots.runExclusive(() => sleep(1));
    await named.runExclusive(() => sleep(1));
    await catalog.runRead(() => sleep(1));
    await catalog.runWrite(() => sleep(1));
  }, { capturePct: 100 });
  const names = new Set(lockSamples(profiles).map((s) => String(s.labels['lock name'])));
  const line = (text: string) => expect([...names].some((n) => new RegExp(`^test/collector\\.test\\.ts:\\d+:${text}$`).test(n))).toBe(true);
  line('poolSlots');
  line('user-cache');
  line('catalog');
  const modes = lockSamples(profiles).filter((s) => String(s.labels['lock name']).endsWith(':catalog')).map((s) => s.labels['lock mode']);
  expect(new Set(modes)).toEqual(new Set(['read', 'write']));
});

test('failed waits are counted with their wait time and an acquire outcome label', async () => {
  const { profiles } = await profileLocks(async () => {
    const busy = new Mutex();
    const release = await busy.acquire();
    await busy.acquire({ timeoutMs: 20 }).catch((e) => expect(e).toBeInstanceOf(LockTimeoutError));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    await busy.acquire({ signal: controller.signal }).catch(() => undefined);
    release();
  }, { capturePct: 100 });
  const samples = lockSamples(profiles);
  const timeout = samples.filter((s) => s.labels['acquire outcome'] === 'timeout');
  const aborted = samples.filter((s) => s.labels['acquire outcome'] === 'aborted');
  expect(sum(timeout, (s) => s.acquireCount)).toBe(1);
  expect(sum(timeout, (s) => s.waitNs)).toBeGreaterThanOrEqual(15e6);
  expect(sum(aborted, (s) => s.acquireCount)).toBe(1);
  expect(sum(timeout, (s) => s.releaseCount) + sum(aborted, (s) => s.releaseCount)).toBe(0);
});

test('span labels from tracing correlation are attached to the samples', async () => {
  let current: Record<string, string> | undefined;
  setSpanLabelsProvider(() => current);
  try {
    const { profiles } = await profileLocks(async () => {
      const m = new Mutex();
      current = { 'span id': '1234', 'local root span id': '99', 'trace endpoint': 'GET /users' };
      const pending = m.runExclusive(() => sleep(2));
      current = undefined;
      await pending;
      await m.runExclusive(() => sleep(1));
    }, { capturePct: 100 });
    const samples = lockSamples(profiles);
    expect(samples.filter((s) => s.labels['span id'] === '1234' && s.labels['trace endpoint'] === 'GET /users')).toHaveLength(1);
    expect(samples.filter((s) => s.labels['span id'] === undefined).length).toBeGreaterThan(0);
  } finally {
    setSpanLabelsProvider(undefined);
  }
});

test('VIGIL_LOCK_CAPTURE_PCT sets the rate; a bad value warns once and falls back; DD_PROFILING_CAPTURE_PCT is read too', async () => {
  const run = async (env: NodeJS.ProcessEnv) => profileLocks(async () => {
    const m = new Mutex();
    for (let i = 0; i < 2_000; i++) (await m.acquire())();
  }, {}, env);
  const pctOf = (p: Awaited<ReturnType<typeof run>>) => p.profiles[0]!.comment.map((c) => stringAt(p.profiles[0]!, c)).find((c) => c.startsWith('capture_pct='));

  const fifty = await run({ VIGIL_LOCK_CAPTURE_PCT: '50' });
  expect(pctOf(fifty)).toBe('capture_pct=50');
  const est = sum(lockSamples(fifty.profiles), (s) => s.acquireCount);
  expect(est).toBeGreaterThan(1_600);
  expect(est).toBeLessThan(2_400);

  const dd = await run({ DD_PROFILING_CAPTURE_PCT: '20' });
  expect(pctOf(dd)).toBe('capture_pct=20');

  const bad = await run({ VIGIL_LOCK_CAPTURE_PCT: 'lots' });
  expect(pctOf(bad)).toBe(`capture_pct=${DEFAULT_CAPTURE_PCT}`);
  expect(bad.logger.lines.filter((l) => l.includes('VIGIL_LOCK_CAPTURE_PCT'))).toEqual([
    `warn: VIGIL_LOCK_CAPTURE_PCT="lots" is not a number of percent in [0, 100]; using ${DEFAULT_CAPTURE_PCT}`,
  ]);
});

test('memory is bounded: past the per-period sample cap, events are summed into one overflow sample and totals stay right', async () => {
  const { profiles, logger } = await profileLocks(async () => {
    const locks = Array.from({ length: 50 }, () => new Mutex());
    for (const m of locks) (await m.acquire())();
  }, { capturePct: 100, maxSamplesPerPeriod: 10 });
  const samples = lockSamples(profiles);
  expect(samples.length).toBeLessThanOrEqual(11);
  expect(sum(samples, (s) => s.acquireCount)).toBe(50);
  expect(samples.some((s) => s.stack[0] === '(lock samples over the per-period cap)')).toBe(true);
  expect(logger.lines.filter((l) => l.includes('sample cap'))).toHaveLength(1);
});

test('with no collector running the primitives record nothing and keep working', async () => {
  const m = new Mutex();
  (await m.acquire())();
  const { profiles } = await profileLocks(async () => undefined, { capturePct: 100 });
  expect(lockSamples(profiles)).toHaveLength(0);
});

const hasGo = spawnSync('go', ['version']).status === 0;
(hasGo ? test : test.skip)('go tool pprof reads the lock profile and shows the contended function', async () => {
  const { profiles } = await profileLocks(async () => {
    const m = new Mutex();
    async function contendedWriter() {
      for (let i = 0; i < 5; i++) await m.runExclusive(() => sleep(2));
    }
    await Promise.all([contendedWriter(), contendedWriter()]);
  }, { capturePct: 100 });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-lock-'));
  const file = join(dir, 'lock.pprof');
  writeFileSync(file, encodeProfileSync(profiles[0]!));
  expect(existsSync(file)).toBe(true);
  const top = execFileSync('go', ['tool', 'pprof', '-top', '-sample_index=lock-acquire-wait', file], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(top).toContain('contendedWriter');
  const holds = execFileSync('go', ['tool', 'pprof', '-top', '-sample_index=lock-release-hold', file], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  expect(holds).toMatch(/Type: lock-release-hold/);
}, 60_000);

test('two loaded copies of the package meet: a collector from one sees locks of the other', async () => {
  let other: typeof import('@vigil/lock') | undefined;
  jest.isolateModules(() => {
    other = require('@vigil/lock') as typeof import('@vigil/lock');
  });
  expect(other!.Mutex).not.toBe(Mutex); // really a second copy
  const { profiles } = await profileLocks(async () => {
    const fromOtherCopy = new other!.Mutex();
    await Promise.all([1, 2, 3].map(() => fromOtherCopy.runExclusive(() => sleep(1))));
  }, { capturePct: 100 });
  const samples = lockSamples(profiles);
  expect(sum(samples, (s) => s.acquireCount)).toBe(3);
  expect(samples.every((s) => String(s.labels['lock name']).endsWith(':fromOtherCopy'))).toBe(true);
});
