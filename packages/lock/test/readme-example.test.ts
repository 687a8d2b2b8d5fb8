import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProfile, ProfileReader, sampleTypeIndex, totalsByFunction } from '@vigil/core';
import { runFixture } from './child';

/** The README's worked example must find what the README says it finds. */
test('README example: the contended lock and the function that waits for it come out on top', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'vigil-lock-readme-')), 'lock.pprof');
  const result = await runFixture(['test/fixtures/readme-example.ts'], { VIGIL_FIXTURE_PPROF_OUT: out });
  expect(result.code).toBe(0);
  const profile = decodeProfile(readFileSync(out));

  const waitIndex = sampleTypeIndex(profile, 'lock-acquire-wait');
  const reader = new ProfileReader(profile);
  const waitByLock = new Map<string, number>();
  for (const sample of profile.sample) {
    const name = String(reader.labels(sample)['lock name']);
    waitByLock.set(name, (waitByLock.get(name) ?? 0) + Number(sample.value[waitIndex]));
  }
  const ranked = [...waitByLock.entries()].sort((a, b) => b[1] - a[1]);
  expect(ranked[0]![0]).toMatch(/^test\/fixtures\/readme-example\.ts:\d+:inventoryLock$/);
  expect(ranked[0]![1]).toBeGreaterThan(50 * ranked[1]![1]);
  expect(ranked[1]![0]).toMatch(/:audit-log$/);

  const { functions } = totalsByFunction(profile, 'lock-acquire-wait');
  expect(functions[0]!.name).toBe('reserveStock');

  if (spawnSync('go', ['version']).status === 0) {
    const tags = spawnSync('go', ['tool', 'pprof', '-tags', '-sample_index=lock-acquire-wait', out], { encoding: 'utf8' }).stdout;
    expect(tags).toMatch(/lock name: Total/);
    expect(tags).toContain('inventoryLock');
  }
});
