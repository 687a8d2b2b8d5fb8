import { CaptureSampler, Mutex } from '@vigil/lock';
import { lockSamples, profileLocks, sum } from './helpers';

test('capture rate matches the percentage, including fractional ones', () => {
  for (const pct of [0.1, 1, 10, 50]) {
    const sampler = new CaptureSampler(pct);
    const n = 2_000_000;
    let captured = 0;
    for (let i = 0; i < n; i++) if (sampler.capture()) captured++;
    const expected = (n * pct) / 100;
    // Binomial: five standard deviations (about 1/sqrt(expected) each) keep this from flaking.
    expect(Math.abs(captured - expected) / expected).toBeLessThan(5 / Math.sqrt(expected));
  }
  expect([0, 100].map((pct) => { const s = new CaptureSampler(pct); let c = 0; for (let i = 0; i < 1000; i++) if (s.capture()) c++; return c; })).toEqual([0, 1000]);
});

test('a periodic workload does not alias with the sampler: every 10th acquisition is still captured 10 % of the time', () => {
  const sampler = new CaptureSampler(10);
  const capturedByPhase = new Array<number>(10).fill(0);
  for (let i = 0; i < 1_000_000; i++) if (sampler.capture()) capturedByPhase[i % 10]!++;
  const total = capturedByPhase.reduce((a, b) => a + b, 0);
  for (const c of capturedByPhase) expect(Math.abs(c / total - 0.1)).toBeLessThan(0.01);
});

test('two call sites taking turns are both estimated right at 10 % capture', async () => {
  const { profiles } = await profileLocks(async () => {
    const m = new Mutex();
    async function everyOther() { (await m.acquire())(); }
    async function theRest() { (await m.acquire())(); }
    for (let i = 0; i < 20_000; i++) await (i % 2 === 0 ? everyOther() : theRest());
  }, { capturePct: 10 });
  const samples = lockSamples(profiles);
  for (const name of ['everyOther', 'theRest']) {
    const estimate = sum(samples, (s) => s.acquireCount, (s) => s.stack[0] === name);
    // ~1,000 captured events each: one standard deviation is ~3 %.
    expect(Math.abs(estimate - 10_000) / 10_000).toBeLessThan(0.15);
  }
});
