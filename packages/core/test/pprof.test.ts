import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addLabels, decodeProfile, encodeProfile, encodeProfileSync, isGzip, mergeProfiles, ProfileBuilder, ProfileReader,
  sampleTypeIndex, sampleTypesOf, totalsByFunction,
} from '@vigil/core';

const main = { name: 'main', file: '/app/main.js', line: 1 };
const hot = { name: 'hot', file: '/app/hot.js', line: 10 };
const cold = { name: 'cold', file: '/app/cold.js', line: 20 };

function sampleProfile(scale = 1) {
  const b = new ProfileBuilder({
    sampleTypes: [['sample', 'count'], ['cpu', 'nanoseconds']],
    periodType: ['cpu', 'nanoseconds'],
    period: 10_000_000,
    timeNanos: 1_700_000_000_000_000_000n,
    durationNanos: 60_000_000_000n,
  });
  b.addSample([hot, main], [7 * scale, 70 * scale], { 'thread name': 'Main' });
  b.addSample([cold, main], [3 * scale, 30 * scale], { 'thread name': 'Main' });
  return b.build();
}

describe('pprof helpers', () => {
  test('a built profile survives encode and decode with stacks, values and labels', async () => {
    const encoded = await encodeProfile(sampleProfile());
    expect(isGzip(encoded)).toBe(true);
    const decoded = decodeProfile(encoded);
    expect(sampleTypesOf(decoded)).toEqual([['sample', 'count'], ['cpu', 'nanoseconds']]);
    expect(Number(decoded.timeNanos)).toBe(Number(1_700_000_000_000_000_000n));
    const reader = new ProfileReader(decoded);
    const stacks = decoded.sample.map((s) => ({ stack: reader.stack(s).map((f) => `${f.name}:${f.line}`), labels: reader.labels(s), value: s.value.map(Number) }));
    expect(stacks).toEqual([
      { stack: ['hot:10', 'main:1'], labels: { 'thread name': 'Main' }, value: [7, 70] },
      { stack: ['cold:20', 'main:1'], labels: { 'thread name': 'Main' }, value: [3, 30] },
    ]);
    expect(decodeProfile(encodeProfileSync(sampleProfile())).sample).toHaveLength(2);
  });

  test('samples with the same stack and labels are summed; different labels stay apart', () => {
    const b = new ProfileBuilder({ sampleTypes: [['sample', 'count']] });
    b.addSample([hot], [1], { span: '1' });
    b.addSample([hot], [2], { span: '1' });
    b.addSample([hot], [5], { span: '2' });
    expect(b.build().sample.map((s) => Number(s.value[0]))).toEqual([3, 5]);
    expect(() => b.addSample([hot], [1, 2])).toThrow(/expected 1 values/);
  });

  test('totals by function give self and cumulative shares, filtered by label', () => {
    const { total, functions } = totalsByFunction(sampleProfile(), 'cpu');
    expect(total).toBe(100);
    expect(functions.find((f) => f.name === 'hot')).toMatchObject({ self: 70, cumulative: 70 });
    expect(functions.find((f) => f.name === 'main')).toMatchObject({ self: 0, cumulative: 100 });
    expect(totalsByFunction(sampleProfile(), 'cpu', (l) => l['thread name'] === 'Worker').total).toBe(0);
    expect(() => totalsByFunction(sampleProfile(), 'wall')).toThrow(/no sample type "wall"/);
  });

  test('addLabels tags every sample without overriding a sample\'s own label', () => {
    const p = addLabels(sampleProfile(), { 'thread id': '3', 'thread name': 'ignored' });
    const reader = new ProfileReader(p);
    expect(p.sample.map((s) => reader.labels(s))).toEqual([
      { 'thread name': 'Main', 'thread id': '3' },
      { 'thread name': 'Main', 'thread id': '3' },
    ]);
  });

  test('mergeProfiles sums matching samples and spans both time windows', () => {
    const a = sampleProfile(1);
    const b = sampleProfile(2);
    b.timeNanos = BigInt(a.timeNanos) + 60_000_000_000n;
    const merged = mergeProfiles([a, b]);
    expect(totalsByFunction(merged, 'cpu').total).toBe(300);
    expect(BigInt(merged.durationNanos)).toBe(120_000_000_000n);
    const other = new ProfileBuilder({ sampleTypes: [['wall', 'nanoseconds']] }).build();
    expect(() => mergeProfiles([a, other])).toThrow(/cannot merge/);
  });

  test('go tool pprof reads what we write (skipped when go is missing)', () => {
    if (spawnSync('go', ['version']).status !== 0) return console.warn('go not installed: skipping the go tool pprof check');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-pprof-'));
    const file = join(dir, 'cpu.pprof');
    writeFileSync(file, encodeProfileSync(sampleProfile()));
    const out = execFileSync('go', ['tool', 'pprof', '-top', '-sample_index=cpu', file], { encoding: 'utf8', env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toMatch(/70ns\s+70\.00%.*\bhot\b/);
    expect(out).toMatch(/30ns\s+30\.00%.*\bcold\b/);
  });
});

test('a sample type named twice with two units is read as the time, not the count (io-wait)', () => {
  const profile = new ProfileBuilder({ sampleTypes: [['io-wait', 'count'], ['io-wait', 'nanoseconds'], ['sample', 'count']] }).build();
  expect(sampleTypeIndex(profile, 'io-wait')).toBe(1);
  expect(sampleTypeIndex(profile, 'sample')).toBe(2);
  expect(sampleTypeIndex(profile, 'cpu')).toBe(-1);
});
