import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { NODE_MAJOR, PACKAGE_DIR } from './http-harness';

interface Observation { request: string; step: string; sampler?: string; pulled?: string; expected: string }

const cases = [
  { tracer: 'otel', acf: false },
  { tracer: 'ddtrace', acf: false },
  ...(NODE_MAJOR >= 24 ? [{ tracer: 'otel', acf: true }, { tracer: 'ddtrace', acf: true }] : []),
];

describe.each(cases)('span labels follow the active span ($tracer, AsyncContextFrame: $acf)', ({ tracer, acf }) => {
  it('across awaits, timers, promises, immediates, child spans and three interleaved requests, with no cross-talk', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(PACKAGE_DIR, 'test/fixtures/propagation.ts')], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, FIXTURE_TRACER: tracer, FIXTURE_ACF: acf ? '1' : '0', DD_TRACE_TELEMETRY_ENABLED: 'false', DD_REMOTE_CONFIGURATION_ENABLED: 'false' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    const { usesAsyncContextFrame, observations } = JSON.parse(result.stdout) as { usesAsyncContextFrame: boolean; observations: Observation[] };
    expect(usesAsyncContextFrame).toBe(acf);
    const inSpans = observations.filter((o) => o.request !== 'none');
    expect(inSpans).toHaveLength(3 * 8);
    // The three requests interleave: their observations are not in request order.
    expect(inSpans.map((o) => o.request).join('')).not.toMatch(/^a+b+c+$/);
    for (const o of observations) {
      // what the sampler would record with a tick right now, and what lock/GC events pull from core
      expect({ step: `${o.request}: ${o.step}`, sampler: o.sampler ?? '', pulled: o.pulled ?? '' }).toEqual({ step: `${o.request}: ${o.step}`, sampler: o.expected, pulled: o.expected });
    }
    expect(new Set(inSpans.map((o) => o.expected)).size).toBe(6);
  }, 40_000);
});
