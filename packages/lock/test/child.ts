import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { SampleSummary } from './fixtures/fixture-profiler';

export const PACKAGE_DIR = join(__dirname, '..');
export const REGISTER = join(PACKAGE_DIR, 'src', 'register.ts');

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a fixture in a real Node process (this test's Node binary), resolving @vigil/* to sources through tsx. */
export function runFixture(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 40_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, VIGIL_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface FixtureOutput {
  transcript: string[];
  samples: SampleSummary[];
}

export function parseOutput(result: ChildResult): FixtureOutput {
  if (result.code !== 0) throw new Error(`fixture exited with ${result.code}: ${result.stderr}`);
  const line = result.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as FixtureOutput;
}

/** Acquire count, wait, release count and hold per `lock name`. */
export function totalsByLockName(samples: SampleSummary[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of samples) {
    const name = String(s.labels['lock name']);
    const acc = out.get(name) ?? [0, 0, 0, 0];
    s.values.forEach((v, i) => (acc[i]! += v));
    out.set(name, acc);
  }
  return out;
}
