import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProfile, type Profile } from '@vigil/core';

export const packageDir = join(__dirname, '..');

export interface FixtureRun {
  stdout: string;
  stderr: string;
  code: number | null;
  dir: string;
}

/** Runs a TypeScript fixture in a real Node process with a fresh output folder as its first argument. */
export function runFixture(fixture: string, args: string[] = [], env: Record<string, string> = {}): Promise<FixtureRun> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cpu-'));
  return new Promise((resolve) => {
    const cleanEnv = { ...process.env };
    for (const key of Object.keys(cleanEnv)) if (key.startsWith('DD_') || key.startsWith('VIGIL_')) delete cleanEnv[key];
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageDir, 'test/fixtures', fixture), dir, ...args], {
      cwd: packageDir,
      env: { ...cleanEnv, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ stdout, stderr, code, dir }));
  });
}

/** The profiles of `type` a fixture wrote (`<type>-<thread id>-<seq>.pprof`). */
export function profilesOf(dir: string, type: string): Array<{ file: string; threadId: number; profile: Profile }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${type}-`) && f.endsWith('.pprof'))
    .map((file) => ({
      file: join(dir, file),
      threadId: Number(file.split('-')[1]),
      profile: decodeProfile(readFileSync(join(dir, file))),
    }));
}

/** True when `go tool pprof` can run here. */
export function hasGo(): boolean {
  return spawnSync('go', ['version']).status === 0;
}

/** `go tool pprof -top` of a file: exit status and output. */
export function goPprofTop(file: string, sampleIndex?: string): { status: number | null; output: string } {
  const args = ['tool', 'pprof', '-top', ...(sampleIndex ? [`-sample_index=${sampleIndex}`] : []), file];
  const result = spawnSync('go', args, { encoding: 'utf8', env: { ...process.env, HOME: process.env.HOME ?? tmpdir() } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
