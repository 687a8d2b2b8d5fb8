import { SamplingGate } from '../src/io-wait/sampling-gate';

describe('SamplingGate', () => {
  it('measures every operation while the rate stays under budget', () => {
    const gate = new SamplingGate(10);
    const weights = [0, 1, 2].map(() => gate.admit());
    expect(weights).toEqual([1, 1, 1]);
  });

  it('keeps a sudden burst to a few dozen stack captures, with weights that still add up to the burst', () => {
    const gate = new SamplingGate(10);
    let sampled = 0;
    let estimated = 0;
    const operations = 1_000_000;
    for (let i = 0; i < operations; i++) {
      const weight = gate.admit();
      if (weight > 0) {
        sampled++;
        estimated += weight;
      }
    }
    expect(sampled).toBeLessThan(60);
    // A burst's estimate is rough (the gap doubles while it lasts) but of the right size.
    expect(estimated / operations).toBeGreaterThan(0.3);
    expect(estimated / operations).toBeLessThan(3);
  });

  it('settles at about the target rate after retuning, and its weighted count is unbiased', () => {
    let nowMs = 0;
    const gate = new SamplingGate(20, () => nowMs);
    let sampled = 0;
    let estimated = 0;
    const perSecond = 50_000;
    for (let second = 0; second < 20; second++) {
      for (let i = 0; i < perSecond; i++) {
        nowMs = second * 1000 + (i * 1000) / perSecond;
        const weight = gate.admit();
        if (weight > 0 && second >= 2) {
          sampled++;
          estimated += weight;
        }
      }
      nowMs = (second + 1) * 1000;
      gate.retune(nowMs);
    }
    expect(gate.sampleEvery).toBe(2500);
    expect(sampled / 18).toBeGreaterThan(10);
    expect(sampled / 18).toBeLessThan(40);
    expect(Math.abs(estimated / (18 * perSecond) - 1)).toBeLessThan(0.25);
  });
});
