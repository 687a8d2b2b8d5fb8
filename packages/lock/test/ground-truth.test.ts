import type { SampleSummary } from './fixtures/fixture-profiler';
import { runFixture } from './child';

/**
 * Ground truth: N async tasks of two kinds contend for one mutex, each holding it for random known
 * times measured inside the workload (test/fixtures/ground-truth-app.ts, in its own process); the
 * profile's totals must match that truth, and attribute it to the right function.
 */

interface Truth {
  waitMs: number;
  holdMs: number;
  count: number;
}
type Names = 'fetchUser' | 'writeCache';

async function runWorkload(capturePct: number, iterations: number, holds: 'busy' | 'timer') {
  const result = await runFixture(['test/fixtures/ground-truth-app.ts', String(capturePct), String(iterations), holds], {}, 55_000);
  if (result.code !== 0) throw new Error(`workload failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as { truth: Record<Names, Truth>; samples: SampleSummary[] };
}

const inFunction = (name: string) => (s: SampleSummary) => s.stack.includes(name);
const total = (samples: SampleSummary[], index: number, filter: (s: SampleSummary) => boolean = () => true) =>
  samples.filter(filter).reduce((acc, s) => acc + s.values[index]!, 0);
const [ACQUIRES, WAIT_NS, RELEASES, HOLD_NS] = [0, 1, 2, 3];

function expectWithin(actual: number, expected: number, tolerance: number, what: string): void {
  const error = Math.abs(actual - expected) / expected;
  if (process.env.LOCK_TEST_REPORT) process.stdout.write(`${what}: ${((actual - expected) / expected * 100).toFixed(2)}%\n`);
  if (error > tolerance) throw new Error(`${what}: profile ${actual.toFixed(0)} vs truth ${expected.toFixed(0)} (${(error * 100).toFixed(1)}% off, allowed ${tolerance * 100}%)`);
}

test('at 100 % capture, wait and hold totals per function match the measured truth within 10 %', async () => {
  const { truth, samples } = await runWorkload(100, 40, 'busy');
  expect(samples.every((s) => String(s.labels['lock name']).match(/^test\/fixtures\/ground-truth-app\.ts:\d+:sharedMutex$/))).toBe(true);
  for (const name of ['fetchUser', 'writeCache'] as const) {
    const mine = inFunction(name);
    expect(total(samples, ACQUIRES, mine)).toBe(truth[name].count);
    expect(total(samples, RELEASES, mine)).toBe(truth[name].count);
    expectWithin(total(samples, WAIT_NS, mine) / 1e6, truth[name].waitMs, 0.1, `${name} wait`);
    expectWithin(total(samples, HOLD_NS, mine) / 1e6, truth[name].holdMs, 0.1, `${name} hold`);
  }
  // Every sample is attributed to exactly one of the two functions.
  expect(samples.every((s) => s.stack.includes('fetchUser') !== s.stack.includes('writeCache'))).toBe(true);
});

test('at 10 % capture, scaled totals match the truth within 25 % and attribution stays right', async () => {
  // 1,000 rounds of 7 tasks: ~7,000 acquisitions, ~700 captured (fetchUser's count then has a
  // standard error of ~5.5 %, so 25 % is 4.5 of them).
  const { truth, samples } = await runWorkload(10, 1_000, 'timer');
  for (const name of ['fetchUser', 'writeCache'] as const) {
    const mine = inFunction(name);
    expectWithin(total(samples, ACQUIRES, mine), truth[name].count, 0.25, `${name} acquire count`);
    expectWithin(total(samples, RELEASES, mine), truth[name].count, 0.25, `${name} release count`);
    expectWithin(total(samples, WAIT_NS, mine) / 1e6, truth[name].waitMs, 0.25, `${name} wait`);
    expectWithin(total(samples, HOLD_NS, mine) / 1e6, truth[name].holdMs, 0.25, `${name} hold`);
  }
  // fetchUser holds the lock longer per acquisition; the profile must say so too.
  const holdShare = total(samples, HOLD_NS, inFunction('fetchUser')) / total(samples, HOLD_NS);
  const truthShare = truth.fetchUser.holdMs / (truth.fetchUser.holdMs + truth.writeCache.holdMs);
  expect(Math.abs(holdShare - truthShare)).toBeLessThan(0.1);
});
