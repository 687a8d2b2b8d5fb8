import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeProfileSync, ProfileBuilder } from '@vigil/core';

export const cliDir = join(__dirname, '..');

/** The built binary, as users run it (turbo builds it before these tests). */
export const cliBin = join(cliDir, 'dist', 'bin.js');

/** Runs the real CLI binary in its own process. */
export function vigil(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const result = spawnSync(process.execPath, [cliBin, ...args], {
    cwd: options.cwd ?? cliDir, encoding: 'utf8', env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000,
  });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

export function tempDir(prefix = 'vigil-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A CPU profile with known self values per function, one minute long. */
export function writeCpuProfile(path: string, selfNanosByFunction: Record<string, number>, endpoints: Record<string, string> = {}): void {
  const b = new ProfileBuilder({
    sampleTypes: [['sample', 'count'], ['cpu', 'nanoseconds']],
    periodType: ['cpu', 'nanoseconds'], period: 10_101_010,
    timeNanos: 1_700_000_000_000_000_000n, durationNanos: 60_000_000_000n,
  });
  for (const [name, nanos] of Object.entries(selfNanosByFunction)) {
    const labels = endpoints[name] ? { 'trace endpoint': endpoints[name]! } : undefined;
    b.addSample([{ name, file: `/app/${name}.js`, line: 3 }, { name: 'main', file: '/app/main.js', line: 1 }], [Math.round(nanos / 10_101_010), nanos], labels);
  }
  writeFileSync(path, encodeProfileSync(b.build()));
}

export function goAvailable(): boolean {
  return spawnSync('go', ['version']).status === 0;
}
