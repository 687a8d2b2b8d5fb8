import { readBatches, runFixture, whenReady } from './helpers';

describe('profileChildren (real child processes)', () => {
  test('a forked child and a spawned `node -e` child are profiled with the parent\'s service and tags and their own pid', async () => {
    const run = runFixture('app.ts', ['children'], { DD_SERVICE: 'orders', DD_ENV: 'staging', DD_VERSION: '2.1.0', DD_TAGS: 'team:backend,region:us-east-1' });
    const { code } = await run.exited;
    expect({ code, stderr: run.stderr() }).toEqual({ code: 0, stderr: '' });
    const batches = readBatches(run.recordPath);
    const byPid = new Map(batches.map((b) => [b.tags.process_id, b]));
    expect(byPid.size).toBe(3);
    const parentPid = String(run.child.pid);
    for (const batch of batches) {
      expect(batch.tags).toMatchObject({ service: 'orders', env: 'staging', version: '2.1.0', team: 'backend', region: 'us-east-1' });
      expect(batch.final).toBe(true);
    }
    const runtimeIds = new Set(batches.map((b) => b.tags['runtime-id']));
    expect(runtimeIds.size).toBe(3);
    expect(byPid.has(parentPid)).toBe(true);
    // Each child burned about 100 ms of its own.
    for (const [pid, batch] of byPid) if (pid !== parentPid) expect(batch.elapsedMs).toBeGreaterThanOrEqual(90);
  });

  // The parent's process.env used to get DD_PROFILING_ENABLED, DD_SERVICE, DD_TAGS and NODE_OPTIONS,
  // which a dd-trace initialised later in the same process would read.
  test('every way of starting a child profiles it through its spawn options; the parent\'s process.env is never changed', async () => {
    const run = runFixture('app.ts', ['env-untouched'], { DD_SERVICE: 'orders', DD_TAGS: 'team:backend' });
    const { code } = await run.exited;
    expect({ code, stderr: run.stderr() }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout()).toBe('env unchanged\nenv unchanged\n');
    const batches = readBatches(run.recordPath);
    const parentPid = String(run.child.pid);
    const children = batches.filter((b) => b.tags.process_id !== parentPid);
    // execFileSync, spawnSync (explicit env), execSync, spawn, fork, execFile, exec, promisify(exec);
    // the child whose explicit env says DD_PROFILING_ENABLED=false is left alone.
    expect(new Set(children.map((b) => b.tags.process_id)).size).toBe(8);
    const services = children.map((b) => b.tags.service).sort();
    expect(services).toEqual(['explicit-child', ...Array(7).fill('orders')]);
    for (const child of children) expect(child.tags.team).toBe('backend');
  });

  test('children started after stop() are not profiled', async () => {
    const run = runFixture('app.ts', ['stop-then-child']);
    await run.exited;
    const pids = new Set(readBatches(run.recordPath).map((b) => b.tags.process_id));
    expect([...pids]).toEqual([String(run.child.pid)]);
  });
});

describe('periods', () => {
  test('consecutive periods tile time without gaps; the last partial one is flushed at exit', async () => {
    const periodMs = 400;
    const run = runFixture('app.ts', ['periods'], { VIGIL_TEST_PERIOD_MS: String(periodMs) });
    const { code } = await run.exited;
    expect(code).toBe(0);
    const batches = readBatches(run.recordPath);
    expect(batches.length).toBeGreaterThanOrEqual(4);
    expect(batches.map((b) => b.seq)).toEqual(batches.map((_, i) => i + 1));
    for (let i = 1; i < batches.length; i++) expect(batches[i]!.startMs).toBe(batches[i - 1]!.endMs);
    for (const b of batches.slice(0, -1)) {
      expect(b.final).toBe(false);
      expect(b.endMs - b.startMs).toBeGreaterThanOrEqual(periodMs - 5);
      expect(b.endMs - b.startMs).toBeLessThan(periodMs * 2);
    }
    expect(batches.at(-1)!.final).toBe(true);
  });
});

describe('bounded exit', () => {
  test('SIGTERM with an exporter that hangs: the other exporter delivers and the process dies within the 3 s bound', async () => {
    const run = runFixture('app.ts', ['signal-hung']);
    await whenReady(run);
    const killedAt = Date.now();
    run.child.kill('SIGTERM');
    const { signal } = await run.exited;
    const exitDelayMs = Date.now() - killedAt;
    expect(signal).toBe('SIGTERM');
    expect(exitDelayMs).toBeGreaterThan(2_500);
    expect(exitDelayMs).toBeLessThan(6_000);
    expect(readBatches(run.recordPath)).toMatchObject([{ final: true }]);
    expect(run.stderr()).toMatch(/exporter hung did not finish|hung/);
  });

  test('beforeExit with an exporter that hangs: the app still ends and the other exporter delivers', async () => {
    const run = runFixture('app.ts', ['beforeExit-hung']);
    const { code, elapsedMs } = await run.exited;
    expect(code).toBe(0);
    expect(elapsedMs).toBeLessThan(8_000);
    expect(readBatches(run.recordPath)).toMatchObject([{ final: true }]);
  });
});
