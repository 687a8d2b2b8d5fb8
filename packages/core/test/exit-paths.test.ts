import { readBatches, runFixture, whenReady } from './helpers';

// Each exit path must deliver the final partial period and leave the exit status as it would be
// without the profiler. The fixture's period is 60 s, so every batch seen here is the exit flush.
describe('flush on exit (real child processes)', () => {
  test('beforeExit: the loop drains, the last period is exported asynchronously, exit code 0', async () => {
    const run = runFixture('app.ts', ['beforeExit']);
    const { code, signal, elapsedMs } = await run.exited;
    expect({ code, signal, stderr: run.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
    const batches = readBatches(run.recordPath);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ via: 'export', final: true, seq: 1, types: ['test'] });
    expect(batches[0]!.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(elapsedMs).toBeLessThan(10_000); // the 60 s timer is unref'ed: the app ends with its work
  });

  test('process.exitCode set by the app is kept', async () => {
    const run = runFixture('app.ts', ['exitCode']);
    expect((await run.exited).code).toBe(4);
    expect(readBatches(run.recordPath)).toHaveLength(1);
  });

  test('process.exit(3): the last period goes through the synchronous path and the code is kept', async () => {
    const run = runFixture('app.ts', ['exit']);
    const { code, signal } = await run.exited;
    expect({ code, signal }).toEqual({ code: 3, signal: null });
    const batches = readBatches(run.recordPath);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ via: 'exportSync', final: true });
    expect(batches[0]!.elapsedMs).toBeGreaterThanOrEqual(150);
  });

  test('an uncaught exception still flushes, and the app still dies with code 1 and its stack', async () => {
    const run = runFixture('app.ts', ['uncaught']);
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.stderr()).toContain('boom from the app');
    expect(readBatches(run.recordPath)).toMatchObject([{ via: 'exportSync', final: true }]);
  });

  test.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s with no app handler: flush, then die by the same signal', async (sig) => {
    const run = runFixture('app.ts', ['signal']);
    await whenReady(run);
    await new Promise((r) => setTimeout(r, 200));
    run.child.kill(sig);
    const { code, signal } = await run.exited;
    expect({ code, signal }).toEqual({ code: null, signal: sig });
    const batches = readBatches(run.recordPath);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ final: true, types: ['test'] });
    expect(batches[0]!.elapsedMs).toBeGreaterThanOrEqual(200);
  });

  test('SIGTERM handled by the app: the app decides (exit 7 later) and the profile still arrives', async () => {
    const run = runFixture('app.ts', ['signal-handled']);
    await whenReady(run);
    run.child.kill('SIGTERM');
    const { code, signal } = await run.exited;
    expect({ code, signal }).toEqual({ code: 7, signal: null });
    expect(readBatches(run.recordPath)).toMatchObject([{ via: 'exportSync', final: true }]);
  });

  // Each profiler took the other's signal listener for the app's own handler: nobody re-raised,
  // and the app swallowed the signal and ran on (seen with the preload plus `new Profiler()`).
  test.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s with two profilers: each flushes once, then the process dies by the signal', async (sig) => {
    const run = runFixture('app.ts', ['two-signal']);
    await whenReady(run);
    await new Promise((r) => setTimeout(r, 200));
    run.child.kill(sig);
    const { code, signal } = await run.exited;
    expect({ code, signal, stderr: run.stderr() }).toEqual({ code: null, signal: sig, stderr: '' });
    const batches = readBatches(run.recordPath);
    expect(batches.map((b) => b.types[0]).sort()).toEqual(['second', 'test']);
    for (const batch of batches) expect(batch).toMatchObject({ final: true, seq: 1 });
  });

  test('two profilers and an app SIGTERM handler: the app decides (exit 7) and both profiles arrive', async () => {
    const run = runFixture('app.ts', ['two-signal-handled']);
    await whenReady(run);
    run.child.kill('SIGTERM');
    const { code, signal } = await run.exited;
    expect({ code, signal }).toEqual({ code: 7, signal: null });
    expect(readBatches(run.recordPath).map((b) => b.types[0]).sort()).toEqual(['second', 'test']);
  });
});

