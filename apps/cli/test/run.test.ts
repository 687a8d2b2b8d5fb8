import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeProfile } from '@vigil/core';
import { cliBin, tempDir, vigil } from './helpers';

const fixture = (name: string) => join(__dirname, 'fixtures', name);

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(DD_|VIGIL_)/.test(key) || key === 'NODE_OPTIONS') delete env[key];
  return env;
}

function topFunction(dir: string, type = 'cpu'): string {
  const { stdout, stderr } = vigil(['top', dir, '--type', type, '--json']);
  if (!stdout) throw new Error(stderr);
  return (JSON.parse(stdout).rows as { name: string }[]).find((r) => !r.name.startsWith('('))!.name;
}

describe('vigil run (real binary, real programs)', () => {
  test('a CommonJS hotspot ends up at the top of vigil top; output and summary are printed', () => {
    const out = tempDir();
    const run = vigil(['run', '--out', out, '--service', 'hot-cjs', '--', process.execPath, fixture('hot.cjs')], { env: cleanEnv() });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('program output\n');
    expect(run.stderr).toMatch(/vigil: \d+ profile file\(s\) from 1 process\(es\) in /);
    expect(run.stderr).toMatch(/top cpu hotspots[^\n]*\n[^\n]*\n\s*\S+\s+\S+%\s+crunchNumbers/);
    expect(topFunction(out)).toBe('crunchNumbers');
  });

  test('the exit summary lists the same hotspots as vigil top, anonymous functions and runtime frames included', () => {
    const out = tempDir();
    const run = vigil(['run', '--out', out, '--profilers', 'cpu', '--', process.execPath, fixture('anonymous-hot.cjs')], { env: cleanEnv() });
    expect(run.code).toBe(0);
    const summaryRows = run.stderr
      .split('top cpu hotspots')[1]!
      .split('\n')
      .slice(2) // the total line's rest and the table header
      .filter((line) => /^\s*\S+\s+[\d.]+%\s+/.test(line))
      .map((line) => /^\s*\S+\s+([\d.]+)%\s+(.*?)\s*$/.exec(line)!.slice(1));
    const top = JSON.parse(vigil(['top', out, '--type', 'cpu', '--json']).stdout) as { rows: { name: string; file: string; selfPercent: number }[] };
    expect(summaryRows.map(([, fn]) => fn)).toEqual(top.rows.map((r) => (r.file ? `${r.name}  ${r.file}` : r.name)));
    expect(summaryRows[0]![1]).toMatch(/^\(anonymous anonymous-hot\.cjs:9\)/);
    expect(summaryRows.some(([, fn]) => fn.startsWith('crunchNamed'))).toBe(true);
    for (const [i, [percent]] of summaryRows.entries()) expect(Number(percent)).toBeCloseTo(top.rows[i]!.selfPercent, 0);
  });

  test('an ES module program is profiled too', () => {
    const out = tempDir();
    const run = vigil(['run', '--out', out, '--profilers', 'cpu', '--', process.execPath, fixture('hot.mjs')], { env: cleanEnv() });
    expect(run.code).toBe(0);
    expect(readdirSync(out).every((f) => f.startsWith('cpu_'))).toBe(true);
    expect(topFunction(out)).toBe('crunchModules');
  });

  test('samples all the time, not in the register preload\'s bursts of a sixth of each period', () => {
    const out = tempDir();
    const spin = 'const end = Date.now() + 3500; let x = 0; while (Date.now() < end) x += Math.sqrt(x + 1);';
    const run = vigil(['run', '--out', out, '--profilers', 'cpu', '--period', '6', '--', process.execPath, '-e', spin], { env: cleanEnv() });
    expect(run.code).toBe(0);
    const sampledMs = readdirSync(out)
      .filter((f) => f.startsWith('cpu_'))
      .reduce((sum, f) => sum + Number(decodeProfile(readFileSync(join(out, f))).durationNanos) / 1e6, 0);
    // The preload alone would sample the first 1 s of this 6 s period.
    expect(sampledMs).toBeGreaterThan(3000);
  });

  test('process.exit(3) keeps its exit code and leaves its last profile', () => {
    const out = tempDir();
    const run = vigil(['run', '--out', out, '--', process.execPath, fixture('hot.cjs'), 'exit3'], { env: cleanEnv() });
    expect(run.code).toBe(3);
    expect(topFunction(out)).toBe('crunchNumbers');
  });

  test('SIGTERM: the program dies by the signal, vigil run too, and the last profile is there', async () => {
    const out = tempDir();
    const child = spawn(process.execPath, [cliBin, 'run', '--out', out, '--', process.execPath, fixture('hot.cjs'), 'wait-for-signal'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (stdout.includes('ready')) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    child.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once('exit', (c, s) => r([c, s])));
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(stderr).toContain('SIGTERM sent to the program; waiting for its last profile');
    expect(topFunction(out)).toBe('crunchNumbers');
  });

  test('a program that forks a Node child yields profiles for both pids', () => {
    const out = tempDir();
    const run = vigil(['run', '--out', out, '--profilers', 'cpu', '--', process.execPath, fixture('hot.cjs'), 'fork'], { env: cleanEnv() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('child exited 0');
    const pids = new Set(readdirSync(out).map((f) => f.split('_')[1]));
    expect(pids.size).toBe(2);
    expect(run.stderr).toMatch(/from 2 process\(es\)/);
  });

  test('usage errors: no command, bad period, unknown program', () => {
    expect(vigil(['run']).stderr).toMatch(/vigil run needs a command after --/);
    expect(vigil(['run', '--period', '0', '--', 'node']).stderr).toMatch(/--period must be a positive number/);
    const missing = vigil(['run', '--out', tempDir(), '--', 'definitely-not-a-program-xyz']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot start definitely-not-a-program-xyz/);
  });
});
