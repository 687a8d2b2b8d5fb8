import { Profiler, ProfileBuilder, type Collector, type Exporter, type Logger, type ProfileBatch } from '@vigil/core';

function captureLogger() {
  const lines: string[] = [];
  const logger: Logger = { error: (m) => lines.push(`error ${m}`), warn: (m) => lines.push(`warn ${m}`), info: () => undefined, debug: () => undefined };
  return { logger, lines };
}

function goodCollector(name = 'good'): Collector {
  return {
    name,
    start() {},
    async collect() {
      const b = new ProfileBuilder({ sampleTypes: [['sample', 'count']] });
      b.addSample([{ name: `${name}-fn` }], [1]);
      return { profiles: [{ type: name, profile: b.build() }], errors: [] };
    },
    async stop() {},
  };
}

function recordingExporter(name = 'recorder') {
  const batches: ProfileBatch[] = [];
  const exporter: Exporter = { name, async export(batch) { batches.push(batch); return { ok: true }; }, async shutdown() {} };
  return { exporter, batches };
}

const quiet = { stopOnExit: false, profileChildren: false };

describe('lifecycle', () => {
  test('start() twice warns and does nothing; stop() is idempotent and flushes once', async () => {
    const { logger, lines } = captureLogger();
    const { exporter, batches } = recordingExporter();
    const profiler = new Profiler({ collectors: [goodCollector()], exporters: [exporter], logger });
    profiler.start(quiet);
    profiler.start(quiet);
    expect(lines.filter((l) => l.includes('start() called while the profiler is running'))).toHaveLength(1);
    await Promise.all([profiler.stop(), profiler.stop()]);
    await profiler.stop();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.period.final).toBe(true);
    expect(profiler.state).toBe('stopped');
  });

  test('stop({ flush: false }) exports nothing', async () => {
    const { exporter, batches } = recordingExporter();
    const profiler = new Profiler({ collectors: [goodCollector()], exporters: [exporter], logger: 'silent' });
    profiler.start(quiet);
    await profiler.stop({ flush: false });
    expect(batches).toHaveLength(0);
  });

  test('every exporter gets the same batch with tags, time window and endpoint counts', async () => {
    const a = recordingExporter('a');
    const b = recordingExporter('b');
    const counting: Collector = { ...goodCollector('counting'), async collect() { return { profiles: (await goodCollector('counting').collect({} as never)).profiles, errors: [], endpointCounts: { 'GET /a': 2 } }; } };
    const profiler = new Profiler({ service: 's', tags: { team: 't' }, collectors: [goodCollector(), counting], exporters: [a.exporter, b.exporter], logger: 'silent' });
    const before = Date.now();
    profiler.start(quiet);
    await new Promise((r) => setTimeout(r, 30));
    await profiler.stop();
    expect(a.batches).toHaveLength(1);
    expect(b.batches[0]).toBe(a.batches[0]);
    const batch = a.batches[0]!;
    expect(batch.tags).toMatchObject({ service: 's', team: 't', 'runtime-id': expect.any(String), process_id: String(process.pid) });
    expect(batch.profiles.map((p) => p.type).sort()).toEqual(['counting', 'good']);
    expect(batch.endpointCounts).toEqual({ 'GET /a': 2 });
    expect(batch.period.startMs).toBeGreaterThanOrEqual(before);
    expect(batch.period.endMs - batch.period.startMs).toBeGreaterThanOrEqual(25);
    // Profiles get the period's window when the collector left it empty.
    const profile = batch.profiles[0]!.profile;
    expect(Number(profile.timeNanos)).toBe(batch.period.startMs * 1e6);
    expect(Number(profile.durationNanos)).toBe((batch.period.endMs - batch.period.startMs) * 1e6);
  });

  test('a period with endpoint counts but no profiles is still exported; an empty one is not', async () => {
    const { exporter, batches } = recordingExporter();
    let counts: Record<string, number> | undefined = { 'GET /a': 3 };
    const countsOnly: Collector = { name: 'counts', start() {}, async collect() { return { profiles: [], errors: [], endpointCounts: counts }; }, async stop() {} };
    const profiler = new Profiler({ collectors: [countsOnly], exporters: [exporter], logger: 'silent' });
    profiler.start(quiet);
    await profiler.flush();
    counts = undefined;
    await profiler.stop();
    expect(batches.map((b) => b.endpointCounts)).toEqual([{ 'GET /a': 3 }]);
  });

  test('flush() exports the current period without stopping', async () => {
    const { exporter, batches } = recordingExporter();
    const profiler = new Profiler({ collectors: [goodCollector()], exporters: [exporter], logger: 'silent' });
    profiler.start(quiet);
    await profiler.flush();
    expect(batches).toHaveLength(1);
    expect(profiler.state).toBe('running');
    await profiler.stop();
    expect(batches.map((x) => x.period.seq)).toEqual([1, 2]);
  });

  test('profileChildren with a preload file that does not exist leaves NODE_OPTIONS alone and says so once', async () => {
    const { logger, lines } = captureLogger();
    const before = process.env.NODE_OPTIONS;
    const profiler = new Profiler({ collectors: [goodCollector()], logger, childPreload: '/nonexistent/vigil/register.js' });
    profiler.start({ stopOnExit: false, profileChildren: true });
    expect(process.env.NODE_OPTIONS).toBe(before);
    await profiler.stop();
    expect(lines.filter((l) => l.includes('preload module /nonexistent/vigil/register.js does not exist'))).toHaveLength(1);
  });

  test('a stopped profiler can start again', async () => {
    const { exporter, batches } = recordingExporter();
    const profiler = new Profiler({ collectors: [goodCollector()], exporters: [exporter], logger: 'silent' });
    profiler.start(quiet);
    await profiler.stop();
    profiler.start(quiet);
    await profiler.stop();
    expect(batches).toHaveLength(2);
  });
});

describe('error isolation: one bad collector or exporter loses only its own data', () => {
  const throwingCollector: Collector = { name: 'throws', start() {}, collect() { throw new Error('sync throw in collect'); }, async stop() {} };
  const rejectingCollector: Collector = { name: 'rejects', start() {}, async collect() { throw new Error('rejected collect'); }, async stop() { throw new Error('stop failed too'); } };
  const hangingCollector: Collector = { name: 'hangs', start() {}, collect: () => new Promise<never>(() => undefined), async stop() {} };
  const badStartCollector: Collector = { name: 'bad-start', start() { throw new Error('cannot start'); }, async collect() { throw new Error('never called'); }, async stop() {} };
  const garbageCollector = { name: 'garbage', start() {}, async collect() { return 42; }, async stop() {} } as unknown as Collector;

  test('collectors that throw, reject, hang, fail to start or return garbage', async () => {
    const { logger, lines } = captureLogger();
    const { exporter, batches } = recordingExporter();
    const profiler = new Profiler({
      collectors: [throwingCollector, rejectingCollector, hangingCollector, badStartCollector, garbageCollector, goodCollector()],
      exporters: [exporter], logger, collectTimeoutMs: 200,
    });
    profiler.start(quiet);
    await profiler.flush();
    await profiler.flush();
    await profiler.stop();
    expect(batches).toHaveLength(3);
    for (const batch of batches) expect(batch.profiles.map((p) => p.type)).toEqual(['good']);
    const text = lines.join('\n');
    expect(text).toContain('collector throws lost this period\'s data: sync throw in collect');
    expect(text).toContain('collector rejects lost this period\'s data: rejected collect');
    expect(text).toContain('collector hangs did not finish collect() within 200 ms');
    expect(text).toContain('collector bad-start failed to start and is off: cannot start');
    expect(text).toContain('collector garbage lost this period\'s data: collect() returned 42');
    // Reported once per kind, not once per period.
    expect(lines.filter((l) => l.includes('sync throw in collect'))).toHaveLength(1);
    expect(profiler.stats().problems['collector-failed:throws']).toBe(3);
  });

  test('exporters that throw, reject, return garbage or hang do not block the others', async () => {
    const { logger, lines } = captureLogger();
    const good = recordingExporter('good');
    const exporters: Exporter[] = [
      { name: 'throws', export() { throw new Error('sync throw in export'); }, async shutdown() {} },
      { name: 'rejects', async export() { throw new Error('backend down'); }, async shutdown() { throw new Error('shutdown failed'); } },
      { name: 'garbage', async export() { return undefined as never; }, async shutdown() {} },
      { name: 'hangs', export: () => new Promise<never>(() => undefined), shutdown: () => new Promise<never>(() => undefined) },
      good.exporter,
    ];
    const profiler = new Profiler({ collectors: [goodCollector()], exporters, logger, uploadTimeoutMs: 300 });
    profiler.start(quiet);
    await profiler.flush(1000);
    const started = Date.now();
    await profiler.stop({ timeoutMs: 800 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(good.batches).toHaveLength(2);
    const text = lines.join('\n');
    expect(text).toContain('exporter throws failed: sync throw in export');
    expect(text).toContain('exporter rejects failed: backend down');
    expect(text).toContain('exporter garbage failed: returned undefined instead of an ExportResult');
    expect(text).toContain('exporter hangs did not finish within 300 ms');
    expect(profiler.stats().exporters.good).toMatchObject({ exported: 2, failed: 0 });
  });

  test('a slow exporter holds at most the in-flight batch plus the queue; older batches are dropped and counted', async () => {
    const { logger, lines } = captureLogger();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: number[] = [];
    const slow: Exporter = { name: 'slow', async export(batch) { seen.push(batch.period.seq); await gate; return { ok: true }; }, async shutdown() {} };
    const profiler = new Profiler({ collectors: [goodCollector()], exporters: [slow], logger, maxQueuedBatchesPerExporter: 2, uploadTimeoutMs: 60_000 });
    profiler.start(quiet);
    for (let i = 0; i < 6; i++) await profiler.flush(0);
    const stopping = profiler.stop({ timeoutMs: 2_000 });
    await new Promise((r) => setTimeout(r, 50)); // the final batch (7) is queued behind the gate
    release();
    await stopping;
    // Batch 1 was in flight; of 2..7 only the newest two queued ones survive.
    expect(seen).toEqual([1, 6, 7]);
    expect(profiler.stats().exporters.slow!.droppedBatches).toBe(4);
    expect(lines.filter((l) => l.includes('slower than the upload period'))).toHaveLength(1);
  });

  test('a logger that throws cannot break the profiler', async () => {
    const logger: Logger = { error() { throw new Error('x'); }, warn() { throw new Error('x'); }, info() { throw new Error('x'); }, debug() { throw new Error('x'); } };
    const { exporter, batches } = recordingExporter();
    const profiler = new Profiler({ collectors: [throwingCollector, goodCollector()], exporters: [exporter], logger });
    profiler.start(quiet);
    profiler.start(quiet);
    await profiler.stop();
    expect(batches).toHaveLength(1);
  });
});
