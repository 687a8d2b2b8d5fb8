import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@vigil/core';
import { AgentExporter, exportersFromEnv, OtlpExporter, PyroscopeExporter } from '@vigil/exporter';
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
