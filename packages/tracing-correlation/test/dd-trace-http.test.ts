import { NODE_MAJOR, runServer } from './http-harness';
import { expectCorrelated } from './correlation-checks';

const paths = [
  { name: 'async hooks + setContext (thread-wide sampler context)', acf: false },
  ...(NODE_MAJOR >= 24 ? [{ name: 'AsyncContextFrame (useCPED) + runWithContext', acf: true }] : []),
];

describe.each(paths)('dd-trace 5, node:http server under concurrent load, $name', ({ acf }) => {
  it('attributes the heavy function to the heavy endpoint, span ids match the spans dd-trace finished, endpoint counts match the requests', async () => {
    const run = await runServer({ FIXTURE_TRACER: 'ddtrace', FIXTURE_ACF: acf ? '1' : '0' }, { heavy: 150, cheap: 300, concurrency: 8 });
    // Other collectors may warn on a loaded machine (a slow period); this package must not.
    expect(run.stderr).not.toMatch(/tracing correlation|Error/);
    expect(run.usesAsyncContextFrame).toBe(acf);
    const stats = expectCorrelated(run, 'compute');
    process.stdout.write(`ddtrace ${acf ? 'cped' : 'setContext'} node ${process.version}: ${JSON.stringify(stats)}\n`);
  }, 60_000);
});
