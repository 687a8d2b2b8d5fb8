import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedBatch } from './fixtures/test-collector';

export const packageDir = join(__dirname, '..');

export interface AppRun {
  child: ChildProcess;
  recordPath: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number }>;
}

/** Starts a TypeScript fixture in a real Node process (the same binary as the test runner). */
export function runFixture(fixture: string, args: string[], env: Record<string, string> = {}): AppRun {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-core-'));
  const recordPath = join(dir, 'batches.jsonl');
  const started = Date.now();
  const cleanEnv = { ...process.env };
  for (const key of Object.keys(cleanEnv)) if (key.startsWith('DD_') || key.startsWith('VIGIL_') || key === 'NODE_OPTIONS') delete cleanEnv[key];
  const child = spawn(process.execPath, ['--import', 'tsx', join(packageDir, 'test/fixtures', fixture), ...args], {
    cwd: packageDir,
    env: { ...cleanEnv, VIGIL_TEST_RECORD: recordPath, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; elapsedMs: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, elapsedMs: Date.now() - started })));
  return { child, recordPath, stdout: () => out, stderr: () => err, exited };
}

export function readBatches(path: string): RecordedBatch[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as RecordedBatch);
}

/** Resolves once the child printed `ready`. */
export function whenReady(run: AppRun): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (run.stdout().includes('ready')) return resolve();
      if (run.child.exitCode !== null) return reject(new Error(`exited before ready: ${run.stderr()}`));
      setTimeout(check, 20);
    };
    check();
  });
}
