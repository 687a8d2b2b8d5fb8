import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProfile, totalsByFunction } from '@vigil/core';
import { parseOutput, REGISTER, runFixture, totalsByLockName, type FixtureOutput } from './child';

/**
 * The documented examples of async-mutex and async-lock run in real processes, with and without
 * the lock profiler: what the application observes must be identical, and the profile must name
 * each lock by its creation line and variable.
 */

const EXAMPLES_CJS = 'test/fixtures/run-examples.ts';
const EXAMPLES_ESM = 'test/fixtures/run-examples-esm.mts';

let plain: FixtureOutput;

beforeAll(async () => {
  plain = parseOutput(await runFixture([EXAMPLES_CJS]));
  expect(plain.samples).toHaveLength(0);
  expect(plain.transcript.length).toBeGreaterThan(40);
});

const EXPECTED_LOCKS = ['mutex', 'semaphore', 'timed', 'fancy', 'timedSemaphore', 'tryMutex', 'lock', 'timeoutLock', 'smallLock'];

function expectProfiledLocks(profiled: FixtureOutput): void {
  const byName = totalsByLockName(profiled.samples);
  for (const variable of EXPECTED_LOCKS) {
    const name = [...byName.keys()].find((n) => new RegExp(`^test/fixtures/lock-library-examples\\.mts:\\d+:${variable}$`).test(n));
    expect(name).toBeDefined();
    expect(byName.get(name!)![0]).toBeGreaterThan(0);
  }
  // The contended mutex example (5 guarded increments, each holding ~1 ms) shows real waiting,
  // attributed to the function that asked for the lock.
  const mutexWaits = profiled.samples.filter((s) => String(s.labels['lock name']).endsWith(':mutex') && s.stack[0] === 'guardedIncrement');
  expect(mutexWaits.reduce((a, s) => a + s.values[1]!, 0)).toBeGreaterThan(2e6);
  // Stacks start in user code, not in the library or its helpers.
  for (const s of profiled.samples) expect(['step', 'Generator.next', '__awaiter', 'Object.next']).not.toContain(s.stack[0]);
  // A timed-out async-lock wait is reported as such.
  expect(profiled.samples.some((s) => String(s.labels['lock name']).endsWith(':timeoutLock') && s.labels['acquire outcome'] === 'timeout')).toBe(true);
  expect(profiled.samples.some((s) => s.labels['lock key'] === 'shared')).toBe(true);
}

test('CommonJS: require()d after the profiler starts, behaviour is unchanged and every lock is profiled', async () => {
  const profiled = parseOutput(await runFixture([EXAMPLES_CJS], { VIGIL_FIXTURE_PROFILE: '1' }));
  expect(profiled.transcript).toEqual(plain.transcript);
  expectProfiledLocks(profiled);
});

test('CommonJS: libraries loaded before the profiler started are instrumented too', async () => {
  const profiled = parseOutput(await runFixture([EXAMPLES_CJS], { VIGIL_FIXTURE_PROFILE: '1', VIGIL_FIXTURE_LOAD_EARLY: '1' }));
  expect(profiled.transcript).toEqual(plain.transcript);
  expectProfiledLocks(profiled);
});

test('ESM: static imports through import-in-the-middle (--import @vigil/lock/register), behaviour unchanged', async () => {
  const esmPlain = parseOutput(await runFixture([EXAMPLES_ESM]));
  expect(esmPlain.transcript).toEqual(plain.transcript);
  const profiled = parseOutput(await runFixture(['--import', REGISTER, EXAMPLES_ESM], { VIGIL_FIXTURE_PROFILE: '1' }));
  expect(profiled.transcript).toEqual(plain.transcript);
  expectProfiledLocks(profiled);
});

test('ESM without the loader hook: the app still runs unchanged (the locks are just not profiled)', async () => {
  const profiled = parseOutput(await runFixture([EXAMPLES_ESM], { VIGIL_FIXTURE_PROFILE: '1' }));
  expect(profiled.transcript).toEqual(plain.transcript);
});

test('VIGIL_LOCK_INSTRUMENT=false leaves the libraries alone', async () => {
  const profiled = parseOutput(await runFixture([EXAMPLES_CJS], { VIGIL_FIXTURE_PROFILE: '1', VIGIL_LOCK_INSTRUMENT: 'false' }));
  expect(profiled.transcript).toEqual(plain.transcript);
  expect(profiled.samples).toHaveLength(0);
});

test('process.exit() still delivers the final lock profile (collectSync)', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'vigil-lock-exit-')), 'lock.pprof');
  const result = await runFixture(['test/fixtures/exit-app.ts'], { VIGIL_FIXTURE_PPROF_OUT: out });
  expect(result.code).toBe(0);
  const profile = decodeProfile(readFileSync(out));
  const { total, functions } = totalsByFunction(profile, 'lock-acquire');
  expect(total).toBe(30);
  expect(functions.find((f) => f.name === 'exitingWorker')?.cumulative).toBe(30);
});

const nodeHasWebLocks = spawnSync(process.execPath, ['-e', 'process.exit(globalThis.navigator && navigator.locks ? 0 : 1)']).status === 0;
(nodeHasWebLocks ? test : test.skip)('Web Locks (navigator.locks.request): behaviour unchanged, waits and holds profiled by lock name', async () => {
  const webPlain = parseOutput(await runFixture(['test/fixtures/web-locks-app.ts']));
  const profiled = parseOutput(await runFixture(['test/fixtures/web-locks-app.ts'], { VIGIL_FIXTURE_PROFILE: '1' }));
  expect(profiled.transcript).toEqual(webPlain.transcript);
  expect(webPlain.transcript).toContain('ifAvailable got null');
  const byName = totalsByLockName(profiled.samples);
  const inventory = byName.get('navigator.locks:inventory')!;
  expect(inventory[0]).toBe(3);
  expect(inventory[2]).toBe(3);
  expect(inventory[1]).toBeGreaterThan(4e6); // the second and third callers waited for ~4 and ~8 ms
  expect(profiled.samples.some((s) => s.labels['lock name'] === 'navigator.locks:busy' && s.labels['acquire outcome'] === 'unavailable')).toBe(true);
  expect(profiled.samples.some((s) => s.labels['lock name'] === 'navigator.locks:slow' && s.labels['acquire outcome'] === 'aborted')).toBe(true);
  expect(profiled.samples.some((s) => s.labels['lock name'] === 'navigator.locks:catalog' && s.labels['lock mode'] === 'shared')).toBe(true);
  expect(profiled.samples.some((s) => s.stack.includes('updateInventory'))).toBe(true);
});
