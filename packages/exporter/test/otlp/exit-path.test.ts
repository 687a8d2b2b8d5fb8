import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { totalsByFunction } from '@vigil/core';
import { otlpToPprof, tagsFromResource } from '../../src/otlp';
import { OtlpServer } from './helpers/otlp-server';

const packageDir = join(__dirname, '..', '..');

function run(fixture: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; exitedAtMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', fixture), ...args], { cwd: packageDir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, exitedAtMs: Date.now() }));
  });
}

test('process.exit(0) right after profiling still delivers the final profile over OTLP (exportSync + detached uploader)', async () => {
  const server = new OtlpServer();
  const url = await server.listen();
  try {
    const { code, stdout, stderr, exitedAtMs } = await run('exit-right-after-profiling.ts', [url]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [, childPid, exitCalledAt] = /pid (\d+) exiting at (\d+)/.exec(stdout)!;
    // The app itself is not held up by the hand-off.
    expect(exitedAtMs - Number(exitCalledAt)).toBeLessThan(1_000);
    const [request] = await server.waitForAccepted(1, 15_000);
    expect(request!.url).toBe('/v1development/profiles');
    expect(request!.headers['x-tenant']).toBe('exit-test');
    expect(request!.headers['content-encoding']).toBe('gzip');
    const [decoded] = otlpToPprof(request!.rawBody);
    expect(decoded!.type).toBe('wall');
    expect(tagsFromResource(decoded!.resource)).toMatchObject({ service: 'short-job', env: 'test', version: '1.2.3', process_id: childPid });
    const totals = totalsByFunction(decoded!.profile, 'sample');
    expect(totals.functions.find((t) => t.name === 'lastWords')?.self).toBe(42);
    // No payload file left behind by the uploader.
    await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`vigil-upload-${childPid}-`))).toEqual([]);
  } finally {
    await server.close();
  }
});
