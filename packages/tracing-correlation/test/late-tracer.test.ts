import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { NODE_MAJOR, PACKAGE_DIR } from './http-harness';

function runLateTracer(tracer: 'otel' | 'ddtrace', acf: boolean, pollMs?: number): Promise<{ heavyNanos: number; labelledNanos: number; withBothNanos: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PACKAGE_DIR, 'test/fixtures/late-tracer-server.ts')], {
      cwd: PACKAGE_DIR,
      env: {
        ...process.env,
        FIXTURE_TRACER: tracer,
        FIXTURE_ACF: acf ? '1' : '0',
        ...(pollMs ? { FIXTURE_POLL_MS: String(pollMs) } : {}),
        DD_TRACE_TELEMETRY_ENABLED: 'false',
        DD_REMOTE_CONFIGURATION_ENABLED: 'false',
        DD_PROFILING_ENABLED: 'false',
        DD_TRACE_STARTUP_LOGS: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`fixture exited ${code}: ${stderr}`));
      else resolve({ ...(JSON.parse(line) as { heavyNanos: number; labelledNanos: number; withBothNanos: number }), stderr });
    });
  });
}

const cases = [
  { tracer: 'otel' as const, acf: false, name: 'OpenTelemetry, async hooks path' },
  { tracer: 'ddtrace' as const, acf: false, name: `dd-trace ${NODE_MAJOR >= 22 ? 6 : 5}, async hooks path` },
  ...(NODE_MAJOR >= 24
    ? [
        { tracer: 'otel' as const, acf: true, name: 'OpenTelemetry, AsyncContextFrame path' },
        { tracer: 'ddtrace' as const, acf: true, name: 'dd-trace 6, AsyncContextFrame path' },
      ]
    : []),
];

describe('a tracer registered after the profiler started', () => {
  it('is watched for without leaving anything behind: stop() removes the watch from globalThis', async () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(PACKAGE_DIR, 'test/fixtures/watch-cleanup.ts')], { cwd: PACKAGE_DIR, encoding: 'utf8', timeout: 30_000 });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ running: 'setter', stopped: 'absent' });
  }, 40_000);

  it('OpenTelemetry, default settings: a 1.5 s traced run labels >= 90 % of the heavy endpoint CPU', async () => {
    const run = await runLateTracer('otel', false);
    process.stdout.write(`late otel default node ${process.version}: ${JSON.stringify(run)}\n`);
    expect(run.stderr).not.toMatch(/tracing correlation|Error/);
    expect(run.labelledNanos / run.heavyNanos).toBeGreaterThanOrEqual(0.9);
  }, 60_000);

  // With the poll pushed out of the run, only attaching at registration or at the first span labels anything.
  it.each(cases)('$name: attaches at registration or at the first span, not by the poll (>= 90 % labelled in 1.5 s)', async ({ tracer, acf }) => {
    const run = await runLateTracer(tracer, acf, 60_000);
    process.stdout.write(`late ${tracer} acf=${acf} node ${process.version}: ${JSON.stringify(run)}\n`);
    expect(run.stderr).not.toMatch(/tracing correlation|Error/);
    expect(run.heavyNanos).toBeGreaterThan(100e6);
    expect(run.labelledNanos / run.heavyNanos).toBeGreaterThanOrEqual(0.9);
    // withLabels inside the span: the app's label sits next to the span's on the same samples.
    expect(run.withBothNanos / run.heavyNanos).toBeGreaterThanOrEqual(0.9);
  }, 60_000);
});
