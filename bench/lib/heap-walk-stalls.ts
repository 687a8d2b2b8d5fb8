// The pause of a sampling burst's start, which walks the whole heap, and what an app with a big
// heap sees of it: the longest event-loop stalls under the register defaults, with the pause
// limit (VIGIL_SAMPLING_MAX_BURST_START_MS, default 100 ms), without it, and sampling all the time.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv } from './runner';
import { median } from './stats';
import { markdownTable } from './tables';

const requireFromBench = createRequire(join(__dirname, '..', 'package.json'));
const WORKLOAD = join(__dirname, '..', 'workloads', 'heap-walk.mjs');
/** About 150 MB of live small objects. */
const STALL_OBJECTS = 1_000_000;
const STALL_SECONDS = 20;
const STALL_PERIOD_SECONDS = 6;

interface StallConfig { id: string; label: string; preload: boolean; env: Record<string, string> }

const STALL_CONFIGS: StallConfig[] = [
  { id: 'none', label: 'no preload', preload: false, env: {} },
  { id: 'defaults', label: 'register defaults (bursts while a start pauses the app 100 ms at most)', preload: true, env: {} },
  { id: 'no-limit', label: 'register defaults, VIGIL_SAMPLING_MAX_BURST_START_MS=60000 (bursts whatever their start costs: the previous default)', preload: true, env: { VIGIL_SAMPLING_MAX_BURST_START_MS: '60000' } },
  { id: 'continuous', label: 'register defaults, VIGIL_SAMPLING_DUTY_CYCLE=1 (sampling all the time)', preload: true, env: { VIGIL_SAMPLING_DUTY_CYCLE: '1' } },
];

function runJson<T>(args: string[], env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: join(__dirname, '..'), env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`exit ${code}: ${err.trim().slice(-300)}`);
        resolve(JSON.parse(out) as T);
      } catch (error) {
        reject(error);
      }
    });
  });
}

export async function runHeapWalkStalls(rounds: number, log: (line: string) => void): Promise<{ markdown: string[]; json: unknown }> {
  const walk = await runJson<Record<string, number[]>>([WORKLOAD, 'walk'], {});
  log(`heap walk: ${JSON.stringify(walk)}`);
  const register = requireFromBench.resolve('@vigil/profiler/register');
  const stalls = new Map<string, { heapMB: number; worstMs: number[] }[]>(STALL_CONFIGS.map((c) => [c.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < STALL_CONFIGS.length; i++) {
      const config = STALL_CONFIGS[(i + round) % STALL_CONFIGS.length]!;
      const out = mkdtempSync(join(tmpdir(), 'vigil-bench-stalls-'));
      try {
        const env = config.preload
          ? { DD_PROFILING_ENABLED: 'true', DD_PROFILING_EXPORTERS: 'file', DD_PROFILING_OUTPUT_PPROF: join(out, 'vigil_'), DD_PROFILING_UPLOAD_PERIOD: String(STALL_PERIOD_SECONDS), ...config.env }
          : {};
        const args = [...(config.preload ? ['--require', register] : []), WORKLOAD, 'stalls', String(STALL_OBJECTS), String(STALL_SECONDS)];
        stalls.get(config.id)!.push(await runJson(args, env));
      } catch (error) {
        log(`stalls ${config.id} failed: ${(error as Error).message}`);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
    log(`stalls round ${round + 1}/${rounds} done`);
  }
  const markdown = [
    '', '## A sampling burst\'s start, a walk of the whole heap', '',
    'V8\'s profiler start through the native binding alone (CPU time and contexts on), three starts at each live heap size (small objects):',
    '', markdownTable(['live heap', 'start ms (each of 3)'], Object.entries(walk).map(([mb, ms]) => [`${mb} MB`, ms.join(', ')])),
    '', `An app holding ${STALL_OBJECTS.toLocaleString('en')} small objects (${median(STALL_CONFIGS.flatMap((c) => stalls.get(c.id)!.map((r) => r.heapMB))).toFixed(0)} MB of heap) and a 5 ms timer for ${STALL_SECONDS} s, under the preload with a ${STALL_PERIOD_SECONDS} s period (bursts of 1 s), ${rounds} interleaved rounds: its timer's three longest delays (ms), each the median over rounds.`,
    '', markdownTable(['configuration', 'longest stall ms', '2nd', '3rd'], STALL_CONFIGS.map((c) => {
      const runs = stalls.get(c.id)!;
      const rank = (k: number) => (runs.length ? median(runs.map((r) => r.worstMs[k] ?? 0)).toFixed(0) : 'n/a');
      return [c.label, rank(0), rank(1), rank(2)];
    })),
  ];
  return { markdown, json: { walk, stalls: Object.fromEntries(stalls) } };
}
