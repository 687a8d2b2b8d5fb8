import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BENCH_DIR = join(__dirname, '..');

// Not a benchmark: it keeps `pnpm bench --quick` working. One round of the CPU workload with
// every configuration, a pair of on/off windows and the accuracy workloads, all short.
describe('pnpm bench --quick (smoke)', () => {
  const out = mkdtempSync(join(tmpdir(), 'vigil-bench-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('runs every configuration, verifies the profilers produced profiles, and writes the tables', async () => {
    const args = ['--import', 'tsx', 'run.ts', '--quick', '--rounds', '1', '--workloads', 'cpu', '--scale', '0.1', '--window-pairs', '1', '--window-ms', '500', '--accuracy-ms', '1000', '--out', out, '--name', 'smoke'];
    const child = spawn(process.execPath, args, { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, tail: code === 0 ? '' : output.slice(-3000) }).toEqual({ code: 0, tail: '' });

    const result = JSON.parse(readFileSync(join(out, 'smoke.json'), 'utf8'));
    const rows: { config: string; validRuns: number; invalidRuns: number; failedRuns: number; medians: { cpuMs: number } }[] = result.workloads.cpu;
    // Every configuration ran once, and each profiled row had its profiles checked and found.
    expect(rows.map((r) => r.config).sort()).toEqual(['dd-trace', 'none', 'none-aa', 'pyroscope', 'vigil-all', 'vigil-default']);
    for (const row of rows) {
      expect({ config: row.config, valid: row.validRuns, invalid: row.invalidRuns, failed: row.failedRuns }).toEqual({ config: row.config, valid: 1, invalid: 0, failed: 0 });
      expect(row.medians.cpuMs).toBeGreaterThan(0);
    }
    expect(result.versions.node).toBe(process.version);
    // On/off windows of the A/A row and the register defaults on both kinds of work; the defaults write profiles.
    expect(result.windows.map((w: { work: string; mechanism: string }) => `${w.work}/${w.mechanism}`)).toEqual(['mixed/none-period', 'mixed/defaults', 'http/none-period', 'http/defaults']);
    for (const w of result.windows) expect({ cell: `${w.work}/${w.mechanism}`, pairs: w.cpuPerUnit.n, wrote: w.profiles > 0 }).toEqual({ cell: `${w.work}/${w.mechanism}`, pairs: 1, wrote: w.mechanism === 'defaults' });
    // The accuracy table compares Vigil with a peer on the CPU split.
    const cpuSplit = result.accuracy.filter((r: { workload: string }) => r.workload.startsWith('CPU split'));
    expect(cpuSplit.map((r: { config: string }) => r.config).sort()).toEqual(['dd-trace', 'pyroscope', 'vigil-default']);
    const markdown = readFileSync(join(out, 'smoke.md'), 'utf8');
    expect(markdown).toContain('no profiler (A/A control)');
    expect(markdown).toContain('## Accuracy against ground truth');
  }, 240_000);

  it('--breakdown measures every mechanism and writes the breakdown tables', async () => {
    const args = ['--import', 'tsx', 'run.ts', '--breakdown', '--quick', '--parts', 'windows,startup,direct', '--window-pairs', '1', '--window-ms', '200', '--startup-rounds', '1', '--out', out, '--name', 'breakdown-smoke'];
    const child = spawn(process.execPath, args, { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, tail: code === 0 ? '' : output.slice(-3000) }).toEqual({ code: 0, tail: '' });

    const result = JSON.parse(readFileSync(join(out, 'breakdown-smoke.json'), 'utf8'));
    // Every mechanism on both kinds of work, each run writing profiles.
    const cells: { mechanism: string; work: string; profiles: number }[] = result.cells;
    expect(cells.map((c) => `${c.work}/${c.mechanism}`).sort()).toEqual(
      ['none', 'none-period', 'defaults', 'defaults-continuous', 'defaults-1s', 'cpu', 'cpu-1hz', 'v8-cpu-1hz', 'v8-cpu-99hz', 'wall', 'wall-io', 'io-wait', 'heap', 'v8-heap', 'lock', 'tracing'].flatMap((m) => [`mixed/${m}`, `http/${m}`]).sort(),
    );
    // Span correlation writes no profile of its own (labels and endpoint counts only), the 1 Hz row
    // may take no sample in a 200 ms window, and the A/A and direct V8 rows run no Vigil code.
    for (const c of cells) {
      if (c.mechanism.startsWith('none') || c.mechanism.startsWith('v8-')) expect({ cell: `${c.work}/${c.mechanism}`, profiles: c.profiles }).toEqual({ cell: `${c.work}/${c.mechanism}`, profiles: 0 });
      else if (c.mechanism !== 'tracing' && c.mechanism !== 'cpu-1hz') expect({ cell: `${c.work}/${c.mechanism}`, wrote: c.profiles > 0 }).toEqual({ cell: `${c.work}/${c.mechanism}`, wrote: true });
    }
    // Start-up runs of every preload, with a peak RSS each.
    expect(Object.keys(result.startup).sort()).toEqual(['addon', 'cpu', 'defaults', 'defaults-lock-lib', 'disabled', 'heap', 'lock', 'none', 'wall']);
    for (const runs of Object.values(result.startup) as { rssMB: number }[][]) expect(runs[0]!.rssMB).toBeGreaterThan(10);
    // Direct timings: encode + gzip per period and the sampler's restart were measured.
    expect(result.periods.length).toBeGreaterThan(0);
    expect(result.restarts.length).toBeGreaterThan(0);
    expect(result.allocMs.on.length).toBeGreaterThan(0);
    expect(result.allocMs.off.length).toBeGreaterThan(0);
    const markdown = readFileSync(join(out, 'breakdown-smoke.md'), 'utf8');
    expect(markdown).toContain('## Start-up and memory of the preload');
  }, 240_000);

  it('the stalls part\'s workload: V8\'s start at three heap sizes, and an app\'s longest stalls under the preload', async () => {
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: BENCH_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('close', (code) => resolve({ code, out, err }));
    });
    const walk = await run(['workloads/heap-walk.mjs', 'walk']);
    expect({ code: walk.code, err: walk.err }).toEqual({ code: 0, err: '' });
    const heaps = Object.entries(JSON.parse(walk.out) as Record<string, number[]>).map(([mb, ms]) => ({ mb: Number(mb), starts: ms.length }));
    expect(heaps.map((h) => h.starts)).toEqual([3, 3, 3]);
    expect(heaps[2]!.mb).toBeGreaterThan(100);
    const pprofPrefix = join(out, 'stalls_');
    const stalls = await run(['--require', require.resolve('@vigil/profiler/register'), 'workloads/heap-walk.mjs', 'stalls', '10000', '1'], {
      DD_PROFILING_ENABLED: 'true', DD_PROFILING_EXPORTERS: 'file', DD_PROFILING_OUTPUT_PPROF: pprofPrefix,
    });
    expect({ code: stalls.code, err: stalls.err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(stalls.out)).toEqual({ heapMB: expect.any(Number), worstMs: expect.arrayContaining([expect.any(Number)]) });
  }, 60_000);
});
