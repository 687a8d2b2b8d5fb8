import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_DIR } from './http-harness';

function runScenario(scenario: string): Record<string, unknown> {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(PACKAGE_DIR, 'test/fixtures/lifecycle.ts')], {
    cwd: PACKAGE_DIR, env: { ...process.env, FIXTURE_SCENARIO: scenario }, encoding: 'utf8', timeout: 30_000,
  });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe('tracing correlation around the tracer life cycle', () => {
  it('with no tracer loaded, is a no-op with one info line: no labels, no endpoint counts, no warning', () => {
    const result = runScenario('no-tracer');
    expect(result.lines).toEqual([expect.stringMatching(/^info: tracing correlation: no tracer loaded/)]);
    expect(result.batches).toBe(1);
    expect(result.endpointCounts).toEqual([{}]);
    expect(result.labelled).toBe(0);
  }, 40_000);

  it('attaches to an OpenTelemetry SDK registered after the profiler started, and gives the context manager back on stop()', () => {
    const result = runScenario('late-otel');
    expect(result.seen).toEqual(['job', 'job', 'job', 'job', 'job']);
    expect(result.endpointCounts).toEqual({ job: 5 });
    expect(result.labelled).toBeGreaterThan(0);
    expect(result.wrappedWhileRunning).toBe(true);
    expect(result.wrappedAfterStop).toBe(false);
    expect(result.afterStop).toBeNull();
    expect((result.lines as string[]).filter((l) => !l.startsWith('info:'))).toEqual([]);
  }, 40_000);
});
