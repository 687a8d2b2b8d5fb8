import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { checkProfiles, type BenchConfig, type ProfileCheck, type RunContext } from './configs';
import type { PyroscopeSink } from './pyroscope-sink';

export const WORKLOAD_DIR = join(__dirname, '..', 'workloads');

/** What one measured process reported. */
export interface RunResult {
  config: string;
  workload: string;
  /** CPU time of the work phase, all threads (ms). */
  cpuMs: number;
  /** Elapsed time of the work phase (ms). */
  elapsedMs: number;
  /** Operations per second of elapsed time (requests for HTTP). */
  throughput: number;
  /** HTTP only: latency percentiles (ms). */
  p50Ms?: number;
  p99Ms?: number;
  /** Peak resident set size of the whole process, exit flush included (MB). */
  peakRssMB: number;
  /** CPU of the whole process, start-up and exit flush included (ms). */
  totalCpuMs?: number;
  check: ProfileCheck;
  /** Anything else the workload reported (accuracy truths). */
  extra: Record<string, unknown>;
}

export interface RunOptions {
  periodSeconds: number;
  params: Record<string, unknown>;
  sink: PyroscopeSink;
  http: { connections: number; requests: number; warmupRequests: number };
  timeoutMs?: number;
  /** Keep the decoded files for the accuracy tables. */
  keepFiles?: boolean;
}

let runCounter = 0;

/** Environment of a measured process: ours, minus anything that would configure a profiler. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k === 'NODE_OPTIONS' || k.startsWith('DD_') || k.startsWith('VIGIL_') || k.startsWith('PYROSCOPE_') || k.startsWith('BENCH_')) continue;
    env[k] = v;
  }
  return env;
}

/** Runs one workload under one configuration in its own process, and checks its profiles. */
export async function runOnce(config: BenchConfig, workload: string, options: RunOptions): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), `vigil-bench-${config.id}-`));
  const run: RunContext = { dir, runId: `bench-${process.pid}-${++runCounter}`, periodSeconds: options.periodSeconds, sinkUrl: options.sink.url };
  const launch = config.launch(run);
  const env = { ...cleanEnv(), ...launch.env, BENCH_PARAMS: JSON.stringify(options.params) };
  const child = spawn(process.execPath, [...launch.nodeArgs, join(WORKLOAD_DIR, `${workload}.mjs`)], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let http: { elapsedMs: number; throughput: number; p50Ms: number; p99Ms: number; errors: number } | undefined;
  let httpError: Error | undefined;
  const timeout = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);

  const ready = new Promise<number>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /READY (\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  // Only the HTTP workload reads stdin (its protocol); the others get an end right away.
  if (workload !== 'http') child.stdin.end();
  if (workload === 'http') {
    const port = await Promise.race([ready, exited.then(() => undefined)]);
    if (port !== undefined) {
      try {
        const url = `http://127.0.0.1:${port}/items?page=3`;
        await autocannon({ url, connections: options.http.connections, amount: options.http.warmupRequests });
        const begun = new Promise<void>((resolve) => {
          const poll = () => (stdout.includes('BEGUN') ? resolve() : setTimeout(poll, 5));
          poll();
        });
        child.stdin.write('BEGIN\n');
        await begun;
        const t0 = performance.now();
        const result = await autocannon({ url, connections: options.http.connections, amount: options.http.requests, sampleInt: 10 });
        const elapsedMs = performance.now() - t0;
        http = {
          elapsedMs,
          throughput: (options.http.requests / elapsedMs) * 1000,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          errors: result.errors + result.non2xx,
        };
      } catch (error) {
        httpError = error as Error;
      }
      child.stdin.end('END\n');
    }
  }
  const code = await exited;
  clearTimeout(timeout);

  const line = (tag: string) => {
    const found = stdout.split('\n').find((l) => l.startsWith(`${tag} `));
    return found ? (JSON.parse(found.slice(tag.length + 1)) as Record<string, number>) : undefined;
  };
  const result = line('BENCH_RESULT');
  const exit = line('BENCH_EXIT');
  const check = checkProfiles(config, run, options.sink);
  if (!options.keepFiles) check.files = [];
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // a leftover temp folder is harmless
  }
  if (!result || code !== 0 || httpError) {
    const why = httpError ? `load generator: ${httpError.message}` : `exit code ${code}`;
    throw new Error(`${config.id}/${workload} failed (${why}): ${stderr.trim().split('\n').slice(-14).join(' | ')}`);
  }
  const { cpuMs, elapsedMs, ops, peakRssMB, workload: _w, ...extra } = result;
  return {
    config: config.id,
    workload,
    cpuMs,
    elapsedMs: http?.elapsedMs ?? elapsedMs,
    throughput: http?.throughput ?? (ops / elapsedMs) * 1000,
    p50Ms: http?.p50Ms,
    p99Ms: http?.p99Ms,
    peakRssMB: exit?.peakRssMB ?? peakRssMB,
    totalCpuMs: exit?.totalCpuMs,
    check,
    extra: { ...extra, ...(http ? { httpErrors: http.errors } : {}), stderr: stderr.trim().slice(-500) },
  };
}
