import { ProfileReader } from '@vigil/core';
import { LiveHeapSampler } from '../src/live-heap-sampler';

test("unnamed functions in heap profiles follow Vigil's one rule, not V8's (anonymous:L#n:C#m)", () => {
  const sampler = new LiveHeapSampler({ samplingIntervalBytes: 512, stackDepth: 64, allocations: false });
  sampler.start();
  const kept: unknown[] = [];
  try {
    // An arrow function with no name of its own allocates what stays live.
    const allocate = [0].map(() => () => {
      for (let i = 0; i < 20_000; i++) kept.push({ index: i, text: `row ${i}` });
    })[0]!;
    allocate();
    const { profile } = sampler.snapshot();
    const reader = new ProfileReader(profile);
    const frames = profile.sample.flatMap((s) => reader.stack(s));
    expect(frames.some((f) => /^\(anonymous:L#/.test(f.name))).toBe(false);
    const ours = frames.filter((f) => f.file?.endsWith('anonymous-names.test.ts') && f.name.startsWith('(anonymous'));
    expect(ours.length).toBeGreaterThan(0);
    for (const frame of ours) expect(frame.name).toMatch(/^\(anonymous anonymous-names\.test\.ts:\d+\)$/);
    expect(kept.length).toBe(20_000);
  } finally {
    sampler.stop();
  }
});
