import { Profiler, sampleTypesOf, type Exporter, type Logger, type NamedProfile } from '@vigil/core';
import { DEFAULT_SAMPLING_INTERVAL_BYTES, heap, runtimeSupportsAllocations } from '@vigil/heap';
import { profilesIn, runApp } from './run-fixture';

function recordingExporter(): Exporter & { profiles: NamedProfile[] } {
  const profiles: NamedProfile[] = [];
  return { name: 'recording', profiles, export: async (batch) => { profiles.push(...batch.profiles); return { ok: true }; }, shutdown: async () => undefined };
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => { lines.push(`${level}: ${message}`); };
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

async function profileOnce(environment: NodeJS.ProcessEnv, collector = heap()) {
  const exporter = recordingExporter();
  const logger = recordingLogger();
  const profiler = new Profiler({ service: 't', collectors: [collector], exporters: [exporter], logger, environment, uploadPeriodMs: 60_000 });
  profiler.start({ stopOnExit: false, profileChildren: false });
  const keep: number[][] = [];
  for (let i = 0; i < 2000; i++) keep.push(new Array(256).fill(i));
  await profiler.stop({ flush: true });
  return { exporter, logger, profiler, kept: keep.length };
}

describe('options and environment', () => {
  it('takes the sampling interval from DD_PROFILING_HEAP_SAMPLING_INTERVAL and turns GC events off with VIGIL_HEAP_GC_EVENTS', async () => {
    const { exporter } = await profileOnce({ DD_PROFILING_HEAP_SAMPLING_INTERVAL: '65536', VIGIL_HEAP_GC_EVENTS: 'false' });
    expect(exporter.profiles.map((p) => p.type)).toEqual(['space']);
    expect(Number(exporter.profiles[0]!.profile.period)).toBe(65536);
    expect(sampleTypesOf(exporter.profiles[0]!.profile)[0]).toEqual(['inuse_objects', 'count']);
  });

  it('warns once, naming the variable and the default, for a bad value and keeps profiling', async () => {
    const { exporter, logger } = await profileOnce({ DD_PROFILING_HEAP_SAMPLING_INTERVAL: 'lots', VIGIL_HEAP_STACK_DEPTH: '-3' });
    const warnings = logger.lines.filter((l) => l.startsWith('warn:'));
    expect(warnings).toContain(`warn: DD_PROFILING_HEAP_SAMPLING_INTERVAL="lots" is not an integer of bytes in [1, 2147483647]; using ${DEFAULT_SAMPLING_INTERVAL_BYTES}`);
    expect(warnings.filter((l) => l.includes('VIGIL_HEAP_STACK_DEPTH'))).toHaveLength(1);
    expect(exporter.profiles.map((p) => p.type)).toEqual(['space', 'events']);
    expect(Number(exporter.profiles[0]!.profile.period)).toBe(DEFAULT_SAMPLING_INTERVAL_BYTES);
  });

  it('refuses a second heap collector on the same thread with a clear warning, and restarts after stop', async () => {
    const first = new Profiler({ service: 't', collectors: [heap()], exporters: [recordingExporter()], logger: recordingLogger(), uploadPeriodMs: 60_000 });
    first.start({ stopOnExit: false, profileChildren: false });
    const second = await profileOnce({});
    expect(second.logger.lines.find((l) => l.includes('collector heap failed to start'))).toBeDefined();
    expect(second.exporter.profiles).toHaveLength(0);
    await first.stop();
    const third = await profileOnce({});
    expect(third.exporter.profiles.map((p) => p.type)).toEqual(['space', 'events']);
  });

  it('gives alloc_* only where the runtime can, and warns once when they were asked for and cannot be had', async () => {
    const { exporter, logger } = await profileOnce({}, heap({ allocations: true, outOfMemory: false }));
    const types = sampleTypesOf(exporter.profiles[0]!.profile).map(([t]) => t);
    const warnings = logger.lines.filter((l) => l.startsWith('warn:') && l.includes('allocations'));
    if (runtimeSupportsAllocations()) {
      expect(types).toEqual(expect.arrayContaining(['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space']));
      expect(warnings).toEqual([]);
    } else {
      expect(types).toEqual(['inuse_objects', 'inuse_space']);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/cannot report allocations .*\(needs Node >= 26\)/);
    }
  });

  it('exports the last partial period synchronously when the app calls process.exit()', async () => {
    const run = await runApp('exit');
    expect(run.code).toBe(3);
    const files = profilesIn(run.outDir, 'space_');
    expect(files.map((f) => f.file.replace(/.*\//, ''))).toEqual(['space_0_0001_sync.pprof']);
    expect(profilesIn(run.outDir, 'events_')).toHaveLength(1);
  });
});
