import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeProfileSync, ProfileBuilder } from '@vigil/core';
import { goAvailable, tempDir, vigil, writeCpuProfile } from './helpers';

const ms = 1_000_000;

describe('vigil top', () => {
  const dir = tempDir();
  const file = join(dir, 'cpu_1.pprof');
  writeCpuProfile(file, { parseOrders: 700 * ms, renderPage: 200 * ms, cheap: 100 * ms }, { parseOrders: 'GET /orders', renderPage: 'GET /', cheap: 'GET /' });

  test('prints the hottest functions with self and cumulative shares', () => {
    const { code, stdout, stderr } = vigil(['top', file]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('cpu (nanoseconds), total 1.00s in 1 profile(s)');
    expect(lines[2]).toMatch(/^1\s+700\.0ms\s+70\.0%\s+700\.0ms\s+70\.0%\s+parseOrders\s+\/app\/parseOrders\.js$/);
    expect(lines[3]).toMatch(/^2\s+200\.0ms\s+20\.0%.*renderPage/);
    expect(stdout).toMatch(/main\s+\/app\/main\.js/);
  });

  test('--json gives machines the same numbers; --limit cuts rows', () => {
    const { stdout } = vigil(['top', file, '--json', '--limit', '2']);
    const json = JSON.parse(stdout);
    expect(json).toMatchObject({ sampleType: 'cpu', unit: 'nanoseconds', total: 1000 * ms });
    expect(json.rows).toEqual([
      { name: 'parseOrders', file: '/app/parseOrders.js', self: 700 * ms, cumulative: 700 * ms, selfPercent: 70, cumulativePercent: 70 },
      { name: 'renderPage', file: '/app/renderPage.js', self: 200 * ms, cumulative: 200 * ms, selfPercent: 20, cumulativePercent: 20 },
    ]);
  });

  test('--by endpoint sums by the trace endpoint label; a folder merges its files', () => {
    const folder = tempDir();
    writeCpuProfile(join(folder, 'a.pprof'), { parseOrders: 700 * ms, cheap: 100 * ms }, { parseOrders: 'GET /orders', cheap: 'GET /' });
    writeCpuProfile(join(folder, 'b.pprof'), { parseOrders: 300 * ms }, { parseOrders: 'GET /orders' });
    const { stdout } = vigil(['top', folder, '--by', 'endpoint', '--json']);
    expect(JSON.parse(stdout).rows.map((r: { name: string; self: number }) => [r.name, r.self])).toEqual([['GET /orders', 1000 * ms], ['GET /', 100 * ms]]);
  });

  test('--by <label> sums by any label, such as one an app set with withLabels', () => {
    const folder = tempDir();
    const b = new ProfileBuilder({ sampleTypes: [['cpu', 'nanoseconds']], periodType: ['cpu', 'nanoseconds'], period: 1, timeNanos: 1n, durationNanos: 60_000_000_000n });
    b.addSample([{ name: 'render', file: '/app/render.js', line: 3 }], [600 * ms], { tenant: 'acme', 'trace endpoint': 'GET /' });
    b.addSample([{ name: 'render', file: '/app/render.js', line: 3 }], [300 * ms], { tenant: 'globex' });
    b.addSample([{ name: 'boot', file: '/app/boot.js', line: 1 }], [100 * ms]);
    writeFileSync(join(folder, 'cpu.pprof'), encodeProfileSync(b.build()));
    const { code, stdout } = vigil(['top', folder, '--by', 'tenant', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).rows.map((r: { name: string; self: number }) => [r.name, r.self])).toEqual([['acme', 600 * ms], ['globex', 300 * ms], ['(no tenant)', 100 * ms]]);
    expect(vigil(['top', folder, '--by', 'tenant']).stdout).toMatch(/tenant\n[^]*acme/);
  });

  test('helpful errors: unknown type lists the types present, missing file, not pprof, unknown flag', () => {
    const unknownType = vigil(['top', file, '--type', 'inuse_space']);
    expect(unknownType.code).toBe(2);
    expect(unknownType.stderr.trim()).toBe('vigil top: no sample type "inuse_space" in these files; they have: sample, cpu');
    const missing = vigil(['top', join(dir, 'nope.pprof')]);
    expect(missing).toMatchObject({ code: 2, stderr: `vigil top: no such file or directory: ${join(dir, 'nope.pprof')}\n` });
    const garbage = join(dir, 'garbage.pprof');
    writeFileSync(garbage, 'this is not a profile');
    expect(vigil(['top', garbage]).stderr).toMatch(/garbage\.pprof is not a pprof profile/);
    const badFlag = vigil(['top', file, '--colour']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/vigil top: Unknown option '--colour'/);
    expect(vigil(['top', file, '--limit', 'ten']).stderr).toMatch(/--limit must be a positive integer, got "ten"/);
    expect(vigil(['frobnicate']).stderr).toMatch(/unknown command "frobnicate"/);
  });

  test('--help for every command, with examples', () => {
    for (const command of ['run', 'top', 'diff', 'leaks', 'serve', 'export']) {
      const { code, stdout } = vigil([command, '--help']);
      expect(code).toBe(0);
      expect(stdout).toContain(`Usage: vigil ${command}`);
      expect(stdout).toContain('Examples:');
    }
    expect(vigil(['--help']).stdout).toMatch(/Commands:\n\s+run .*\n\s+top .*\n\s+diff .*\n\s+leaks .*\n\s+serve .*\n\s+export /);
  });

  test('agrees with go tool pprof -top on the same file (skipped without go)', () => {
    if (!goAvailable()) return console.warn('go not installed: skipping');
    const go = execFileSync('go', ['tool', 'pprof', '-top', '-sample_index=cpu', file], { encoding: 'utf8', env: { ...process.env, HOME: dir }, stdio: ['ignore', 'pipe', 'ignore'] });
    // go: "flat flat% sum% cum cum%  name"
    const goRows = go.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => c.length === 6 && /%$/.test(c[1]!));
    expect(goRows.map((r) => r[5])).toEqual(['parseOrders', 'renderPage', 'cheap', 'main']);
    const ours = JSON.parse(vigil(['top', file, '--json']).stdout).rows as { name: string; self: number; cumulative: number }[];
    const toNanos = (v: string) => Number(v.replace(/ms$/, '')) * (v.endsWith('ms') ? ms : v.endsWith('s') ? 1e9 : 1);
    for (const [flat, , , cum, , name] of goRows) {
      const row = ours.find((r) => r.name === name);
      expect(row).toBeDefined();
      expect(row!.self).toBeCloseTo(toNanos(flat!), -6);
      expect(row!.cumulative).toBeCloseTo(toNanos(cum!), -6);
    }
    expect(goRows[0]![5]).toBe(ours[0]!.name);
  });
});

describe('vigil diff', () => {
  test('ranks functions by their change per minute, slower first when larger', () => {
    const dir = tempDir();
    writeCpuProfile(join(dir, 'base.pprof'), { parseOrders: 700 * ms, renderPage: 200 * ms, removed: 50 * ms });
    writeCpuProfile(join(dir, 'new.pprof'), { parseOrders: 300 * ms, renderPage: 500 * ms, added: 100 * ms });
    const { code, stdout } = vigil(['diff', join(dir, 'base.pprof'), join(dir, 'new.pprof'), '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout).rows as { name: string; changePerMinute: number; changeRatio: number | null }[];
    expect(rows.map((r) => [r.name, Math.round(r.changePerMinute / ms)])).toEqual([
      ['parseOrders', -400], ['renderPage', 300], ['added', 100], ['removed', -50],
    ]);
    expect(rows.find((r) => r.name === 'added')!.changeRatio).toBeNull();
    const text = vigil(['diff', join(dir, 'base.pprof'), join(dir, 'new.pprof')]).stdout;
    expect(text).toMatch(/faster\s+-400\.0ms\s+-57%\s+700\.0ms\s+300\.0ms\s+parseOrders/);
    expect(vigil(['diff', join(dir, 'base.pprof')]).stderr).toMatch(/needs exactly two arguments/);
  });
});
