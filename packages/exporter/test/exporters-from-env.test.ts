import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@vigil/core';
import { AgentExporter, exportersFromEnv, OtlpExporter, PyroscopeExporter, readAgentEnv } from '@vigil/exporter';
import { IntakeServer } from './helpers/intake-server';
import { fullBatch } from './helpers/profiles';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, error: (m) => lines.push(m), warn: (m) => lines.push(m), info: () => undefined, debug: () => undefined };
}

describe('exportersFromEnv', () => {
  test('defaults to the agent exporter', () => {
    const logger = recordingLogger();
    const exporters = exportersFromEnv({}, logger);
    expect(exporters.map((e) => e.name)).toEqual(['agent']);
    expect(logger.lines).toEqual([]);
  });

  test('DD_PROFILING_OUTPUT_PPROF adds the file exporter, which writes under that prefix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-env-'));
    try {
      const exporters = exportersFromEnv({ DD_PROFILING_OUTPUT_PPROF: join(dir, 'out', 'job-') });
      expect(exporters.map((e) => e.name)).toEqual(['agent', 'file']);
      expect(await exporters[1]!.export(fullBatch(), new AbortController().signal)).toEqual({ ok: true });
      expect(readdirSync(join(dir, 'out')).every((f) => f.startsWith('job-'))).toBe(true);
      expect(readdirSync(join(dir, 'out'))).toHaveLength(5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('otlp is selectable by name and reads the OpenTelemetry endpoint variables', () => {
    const logger = recordingLogger();
    const exporters = exportersFromEnv({ VIGIL_EXPORTERS: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, logger);
    expect(exporters.map((e) => e.name)).toEqual(['otlp']);
    expect(exporters[0]).toBeInstanceOf(OtlpExporter);
    expect(logger.lines).toEqual([]);
  });

  test('DD_PROFILING_PPROF_PREFIX works as well', () => {
    expect(exportersFromEnv({ DD_PROFILING_PPROF_PREFIX: '/tmp/x-' }).map((e) => e.name)).toEqual(['agent', 'file']);
  });

  test('DD_PROFILING_EXPORTERS picks exporters; unknown names are one warning', () => {
    const logger = recordingLogger();
    const exporters = exportersFromEnv({ DD_PROFILING_EXPORTERS: 'pyroscope,bogus file', VIGIL_PYROSCOPE_URL: 'http://127.0.0.1:4040' }, logger);
    expect(exporters.map((e) => e.name)).toEqual(['pyroscope', 'file']);
    expect(exporters[0]).toBeInstanceOf(PyroscopeExporter);
    expect(logger.lines).toHaveLength(2);
    expect(logger.lines[0]).toContain('DD_PROFILING_EXPORTERS="pyroscope,bogus file" has unknown entries (bogus)');
    expect(logger.lines[1]).toContain('without DD_PROFILING_OUTPUT_PPROF');
  });

  test('a bad Pyroscope URL turns that exporter off with a warning instead of throwing', () => {
    const logger = recordingLogger();
    const exporters = exportersFromEnv({ DD_PROFILING_EXPORTERS: 'agent,pyroscope', PYROSCOPE_SERVER_ADDRESS: 'ftp://nope' }, logger);
    expect(exporters.map((e) => e.name)).toEqual(['agent']);
    expect(logger.lines.join('\n')).toContain('the pyroscope exporter is off');
  });

  test('agentless settings come from the environment', async () => {
    const server = new IntakeServer();
    const url = await server.listen();
    try {
      const [exporter] = exportersFromEnv({ DD_PROFILING_AGENTLESS: '1', DD_API_KEY: 'k'.repeat(32), DD_SITE: 'datadoghq.eu' });
      expect(exporter).toBeInstanceOf(AgentExporter);
      expect((exporter as AgentExporter).agentless).toBe(true);
      expect((exporter as AgentExporter).name).toBe('agentless');
      // The intake host is derived from DD_SITE.
      expect((exporter as unknown as { transport: { target: { display: string } } }).transport.target.display).toBe('https://intake.profile.datadoghq.eu');
      await exporter!.shutdown();
      void url;
    } finally {
      await server.close();
    }
  });
});

// These moved here from core's configuration: each backend reads and validates its own variables.
describe('the agent\'s own environment variables', () => {
  function read(env: Record<string, string>) {
    const warnings: string[] = [];
    return { config: readAgentEnv(env, (m) => warnings.push(m)), warnings };
  }

  test('DD_TRACE_AGENT_URL wins over host and port, unix sockets included; defaults without a warning', () => {
    expect(read({})).toEqual({ config: { agentUrl: 'http://127.0.0.1:8126', agentless: false, apiKey: undefined, site: 'datadoghq.com', intakeUrl: undefined, reportHostname: false }, warnings: [] });
    expect(read({ DD_AGENT_HOST: 'agent.local', DD_TRACE_AGENT_PORT: '9126' }).config.agentUrl).toBe('http://agent.local:9126');
    expect(read({ DD_TRACE_AGENT_URL: 'unix:///var/run/datadog/apm.socket', DD_AGENT_HOST: 'x' }).config.agentUrl).toBe('unix:///var/run/datadog/apm.socket');
    expect(read({ DD_AGENT_HOST: '::1' }).config.agentUrl).toBe('http://[::1]:8126');
  });

  test.each([
    ['DD_TRACE_AGENT_PORT', '80.5', 'is not an integer', '8126'],
    ['DD_TRACE_AGENT_PORT', '70000', 'is not an integer', '8126'],
    ['DD_TRACE_AGENT_URL', 'ftp://x', 'is not an http://, https:// or unix:// URL', 'http://127.0.0.1:8126'],
    ['DD_PROFILING_AGENTLESS', 'maybe', 'is not a boolean', 'false'],
  ])('%s=%j gives one warning naming the variable, the value and the default', (name, value, problem, used) => {
    const { warnings } = read({ [name]: value });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${name}=${JSON.stringify(value)}`);
    expect(warnings[0]).toContain(problem);
    expect(warnings[0]).toContain(`using ${used}`);
  });

  test('exportersFromEnv: a malformed agent setting is one warning through the logger, and the agent exporter still comes', () => {
    const logger = recordingLogger();
    const exporters = exportersFromEnv({ DD_TRACE_AGENT_PORT: 'eighty' }, logger);
    expect(exporters.map((e) => e.name)).toEqual(['agent']);
    expect(logger.lines).toEqual(['DD_TRACE_AGENT_PORT="eighty" is not an integer in [1, 65535]; using 8126']);
  });
});
