import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeProfileSync } from '@vigil/core';
import { NODE_MAJOR, runServer, type ServerRun } from './http-harness';
import { expectCorrelated, HEAVY_ENDPOINT } from './correlation-checks';

const paths = [
  { name: 'async hooks + setContext (thread-wide sampler context)', acf: false },
  ...(NODE_MAJOR >= 24 ? [{ name: 'AsyncContextFrame (useCPED) + runWithContext', acf: true }] : []),
];
const hasGo = spawnSync('go', ['version']).status === 0;

describe.each(paths)('OpenTelemetry SDK, node:http server under concurrent load, $name', ({ acf }) => {
  let run: ServerRun;
  beforeAll(async () => {
    run = await runServer({ FIXTURE_TRACER: 'otel', FIXTURE_ACF: acf ? '1' : '0' }, { heavy: 150, cheap: 300, concurrency: 8 });
  }, 60_000);

  it('attributes the heavy function to the heavy endpoint, span ids match the exported spans, endpoint counts match the requests', () => {
    // Other collectors may warn on a loaded machine (a slow period); this package must not.
    expect(run.stderr).not.toMatch(/tracing correlation|Error/);
    expect(run.usesAsyncContextFrame).toBe(acf);
    const stats = expectCorrelated(run, 'compute');
    process.stdout.write(`otel ${acf ? 'cped' : 'setContext'} node ${process.version}: ${JSON.stringify(stats)}\n`);
  });

  (hasGo ? it : it.skip)('writes profiles whose span labels go tool pprof reads (skipped without go)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tc-pprof-'));
    try {
      const file = join(dir, 'cpu.pprof');
      const cpuProfile = run.profiles.find((p) => p.type === 'cpu')!.profile;
      writeFileSync(file, encodeProfileSync(cpuProfile));
      const tags = spawnSync('go', ['tool', 'pprof', '-tags', file], { encoding: 'utf8', timeout: 30_000 });
      expect(tags.status).toBe(0);
      expect(tags.stdout).toContain('trace endpoint');
      expect(tags.stdout).toContain(HEAVY_ENDPOINT);
      expect(tags.stdout).toContain('local root span id');
      const top = spawnSync('go', ['tool', 'pprof', '-top', `-tagfocus=trace endpoint=${HEAVY_ENDPOINT.replace(/[/:]/g, '.')}`, file], { encoding: 'utf8', timeout: 30_000 });
      expect(top.status).toBe(0);
      expect(top.stdout).toContain('heavyBurn');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
