import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProfile, totalsByFunction, totalsByLabel, type Profile } from '@vigil/core';

function runApp(env: Record<string, string> = {}): { truth: { cpuNanosByTenant: Record<string, number> }; profiles: Array<{ type: string; profile: Profile }>; stderr: string } {
  const out = mkdtempSync(join(tmpdir(), 'vigil-with-labels-'));
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures/with-labels-app.ts'), out], {
    cwd: join(__dirname, '..'), encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env },
  });
  if (result.status !== 0) throw new Error(`app exited ${result.status}: ${result.stderr}`);
  const profiles = readdirSync(out).map((file) => ({ type: file.split('-').slice(0, -1).join('-'), profile: decodeProfile(readFileSync(join(out, file))) }));
  return { truth: JSON.parse(result.stdout), profiles, stderr: result.stderr };
}

/** `sampleType` of function `name` (self) per value of label `label`, over the profiles of `type`. */
function byLabel(profiles: Array<{ type: string; profile: Profile }>, type: string, sampleType: string, label: string, name?: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const { profile } of profiles.filter((p) => p.type === type)) {
    if (!name) {
      for (const [value, total] of totalsByLabel(profile, sampleType, label, '(none)')) totals[value] = (totals[value] ?? 0) + total;
      continue;
    }
    for (const value of ['a', 'b', '(none)', '(other)']) {
      const filter = (labels: Record<string, string | number>) => (labels[label] === undefined ? '(none)' : String(labels[label])) === value;
      const self = totalsByFunction(profile, sampleType, filter).functions.filter((f) => f.name === name).reduce((sum, f) => sum + f.self, 0);
      totals[value] = (totals[value] ?? 0) + self;
    }
  }
  return totals;
}

const paths: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'thread-wide sampler context (async hooks)', env: { VIGIL_SAMPLER_ASYNC_CONTEXT_FRAME: 'false' } },
  ...(Number(process.versions.node.split('.')[0]) >= 24 ? [{ name: 'AsyncContextFrame', env: {} }] : []),
];

describe.each(paths)('withLabels (@vigil/profiler), $name', ({ env }) => {
  let run: ReturnType<typeof runApp>;
  beforeAll(() => {
    run = runApp(env);
  }, 90_000);

  it("labels every CPU and wall sample of each tenant's work with that tenant, async continuations included", () => {
    expect(run.stderr).not.toMatch(/error|Error/);
    for (const [type, sampleType] of [['cpu', 'cpu'], ['wall', 'wall']] as const) {
      const ofA = byLabel(run.profiles, type, sampleType, 'tenant', 'burnForTenantA');
      const ofB = byLabel(run.profiles, type, sampleType, 'tenant', 'burnForTenantB');
      const outside = byLabel(run.profiles, type, sampleType, 'tenant', 'burnUnlabelled');
      console.log(type, { truth: run.truth.cpuNanosByTenant, ofA, ofB, outside });
      const sum = (t: Record<string, number>) => Object.values(t).reduce((x, y) => x + y, 0);
      // Work runs in slices between timer waits, lock waits and awaits: each slice after the first
      // is a continuation, and must still carry its tenant, never the other one.
      expect(sum(ofA)).toBeGreaterThan(0);
      expect(sum(ofB)).toBeGreaterThan(0);
      expect((ofA.a ?? 0) / sum(ofA)).toBeGreaterThanOrEqual(0.95);
      expect((ofB.b ?? 0) / sum(ofB)).toBeGreaterThanOrEqual(0.95);
      // Work outside withLabels carries no tenant.
      expect((outside['(none)'] ?? 0) / Math.max(1, sum(outside))).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('labels I/O waits and lock waits, nested labels included', () => {
    const ioWait = byLabel(run.profiles, 'io-wait', 'io-wait', 'tenant');
    expect(ioWait.a).toBeGreaterThan(0);
    expect(ioWait.b).toBeGreaterThan(0);
    const lockWait = byLabel(run.profiles, 'lock', 'lock-acquire-wait', 'tenant');
    expect((lockWait.a ?? 0) + (lockWait.b ?? 0)).toBeGreaterThan(0);
    expect(lockWait.b).toBeGreaterThan(0);
    const plans = byLabel(run.profiles, 'cpu', 'cpu', 'plan');
    expect(plans.free).toBeGreaterThan(0);
  });
});
