import { EnvReader, Profiler, readEnvConfig } from '@vigil/core';

function read(env: Record<string, string>) {
  const warnings: string[] = [];
  const config = readEnvConfig(env, (m) => warnings.push(m));
  return { config, warnings };
}

describe('configuration from the environment', () => {
  test('defaults with an empty environment, and no warning', () => {
    const { config, warnings } = read({});
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      enabled: false, tags: {}, uploadPeriodMs: 60_000, uploadTimeoutMs: 60_000, exitFlushTimeoutMs: 3_000,
      logLevel: 'warn', profileChildren: true, stopOnExit: true,
    });
  });

  test('the DD names users know are read', () => {
    const { config, warnings } = read({
      DD_PROFILING_ENABLED: 'TRUE', DD_SERVICE: 'web', DD_ENV: 'prod', DD_VERSION: '2.1.0',
      DD_TAGS: 'team:backend region:us-east-1,url:http://x:1', DD_PROFILING_PROFILERS: 'wall, cpu ,heap',
      DD_PROFILING_EXPORTERS: 'file,agent', DD_PROFILING_UPLOAD_PERIOD: '10', DD_PROFILING_UPLOAD_TIMEOUT: '5000',
      VIGIL_LOG_LEVEL: 'debug',
    });
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      enabled: true, service: 'web', environment: 'prod', version: '2.1.0',
      tags: { team: 'backend', region: 'us-east-1', url: 'http://x:1' },
      profilers: ['wall', 'cpu', 'heap'], exporters: ['file', 'agent'], uploadPeriodMs: 10_000, uploadTimeoutMs: 5_000,
      logLevel: 'debug',
    });
  });

  // Backends own their settings: core neither reads nor warns about them (a malformed one was
  // warned about twice, once by core and once by the backend).
  test('backend settings are not core\'s: they give no warning here and are not in its config', () => {
    const { config, warnings } = read({ DD_TRACE_AGENT_PORT: 'x', DD_PROFILING_AGENTLESS: 'maybe', DD_PROFILING_SOURCE_MAP: 'y e s', VIGIL_PYROSCOPE_URL: 'http://p' });
    expect(warnings).toEqual([]);
    expect(Object.keys(config).filter((k) => /agent|pyroscope|apiKey|site|pprof|sourceMaps/i.test(k))).toEqual([]);
  });

  test.each([
    ['DD_PROFILING_ENABLED', 'maybe', 'is not a boolean', 'false'],
    ['DD_PROFILING_UPLOAD_PERIOD', 'abc', 'is not a number of seconds', '60'],
    ['DD_PROFILING_UPLOAD_PERIOD', '-5', 'is not a number of seconds', '60'],
    ['DD_PROFILING_UPLOAD_TIMEOUT', '1e9', 'is not a number of milliseconds', '60000'],
    ['VIGIL_LOG_LEVEL', 'loud', 'is not one of silent, error, warn, info, debug', 'warn'],
    ['VIGIL_EXIT_FLUSH_TIMEOUT', 'soon', 'is not a number of milliseconds', '3000'],
    ['DD_TAGS', 'ok:1,broken,:novalue', 'are not key:value (broken :novalue)', 'the other entries'],
  ])('%s=%j gives one warning naming the variable, the value and the default', (name, value, problem, used) => {
    const { warnings, config } = read({ [name]: value });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${name}=${JSON.stringify(value)}`);
    expect(warnings[0]).toContain(problem);
    expect(warnings[0]).toContain(`using ${used}`);
    if (name === 'DD_TAGS') expect(config.tags).toEqual({ ok: '1' });
  });

  test('lists validated against known names keep the known ones and name the unknown', () => {
    const warnings: string[] = [];
    const reader = new EnvReader({ X: 'cpu,gpu,wall' }, (m) => warnings.push(m));
    expect(reader.list('X', ['cpu'], ['cpu', 'wall', 'heap'])).toEqual(['cpu', 'wall']);
    expect(warnings[0]).toMatch(/X="cpu,gpu,wall" has unknown entries \(gpu\)/);
  });

  test('a Profiler built with malformed env logs the warnings through its logger and still works', async () => {
    const lines: string[] = [];
    const logger = { error: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), info: () => undefined, debug: () => undefined };
    const profiler = new Profiler({ logger, environment: { DD_PROFILING_UPLOAD_PERIOD: 'often', DD_TAGS: 'a:1', DD_SERVICE: 'svc' } });
    expect(lines.some((l) => l.startsWith('DD_PROFILING_UPLOAD_PERIOD="often"'))).toBe(true);
    expect(profiler.periodMs).toBe(60_000);
    expect(profiler.tags).toMatchObject({ service: 'svc', a: '1', process_id: String(process.pid) });
  });

  test('options win over the environment', () => {
    const profiler = new Profiler({ service: 'opt', env: 'dev', version: '9', tags: 'a:opt', environment: { DD_SERVICE: 'env', DD_ENV: 'prod', DD_TAGS: 'a:env,b:env' }, logger: 'silent' });
    expect(profiler.tags).toMatchObject({ service: 'opt', env: 'dev', version: '9', a: 'opt', b: 'env' });
  });
});
