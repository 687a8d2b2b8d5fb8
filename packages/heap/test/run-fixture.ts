import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProfile, type Profile } from '@vigil/core';

export const packageDir = join(__dirname, '..');
export const fixture = (name: string) => join(__dirname, 'fixtures', name);

export interface FixtureRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outDir: string;
  /** The JSON line of ground truth the fixture printed last, if any. */
  truth: Record<string, unknown>;
}

/** Runs the test app fixture under the current Node with tsx, collecting its output and files. */
export function runApp(scenario: string, options: { env?: Record<string, string>; nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<FixtureRun> {
  const outDir = mkdtempSync(join(tmpdir(), `vigil-heap-${scenario}-`));
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', fixture('app.ts'), scenario, outDir], {
    cwd: packageDir,
    env: { ...process.env, VIGIL_LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const lastJson = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
      resolve({ code, signal, stdout, stderr, outDir, truth: lastJson ? JSON.parse(lastJson) : {} });
    });
  });
}

/** Profile files of a run whose name starts with `prefix`, sorted by name (type, thread, period). */
export function profilesIn(dir: string, prefix: string): Array<{ file: string; profile: Profile }> {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pprof'))
    .sort()
    .map((f) => ({ file: join(dir, f), profile: decodeProfile(readFileSync(join(dir, f))) }));
}

/** The profile's comments as strings. */
export function commentsOf(profile: Profile): string[] {
  return profile.comment.map((i) => profile.stringTable.strings[Number(i)] ?? '');
}
