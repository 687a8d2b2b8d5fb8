import { ProfileBuilder, type Profile } from '@vigil/core';

/**
 * A wall-like profile of `samples` distinct samples (stacks 8-27 deep over `functions` functions,
 * span labels on every sample), from a fixed seed: about what a busy service's minute looks like
 * when every sample has its own span.
 */
export function largeProfile(samples: number, functions = 3000, seed = 12345): Profile {
  const b = new ProfileBuilder({ sampleTypes: [['sample', 'count'], ['wall', 'nanoseconds']], periodType: ['wall', 'nanoseconds'], period: 10_000_000, timeNanos: 1_764_093_600_000_000_000n, durationNanos: 60_000_000_000n });
  let state = seed;
  // mulberry32: small, seedable, good enough spread for test data.
  const random = (n: number) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
  for (let i = 0; i < samples; i++) {
    const stack = Array.from({ length: 8 + random(20) }, () => {
      const f = random(functions);
      return { name: `fn_${f}`, file: `/app/src/module_${f % 97}.js`, line: f % 400 };
    });
    b.addSample(stack, [1 + random(3), 10_000_000 * (1 + random(3))], { 'span id': String(1e15 + i), 'local root span id': String(random(50)), 'thread id': '0' });
  }
  return b.build();
}
