import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultBackend, type BackendMode } from './backend';

const registerPath = join(__dirname, '..', '..', 'dist', 'register.js');
const appPath = join(__dirname, 'app.cjs');
/** The app's own exit code; the profiler must leave it as it is. */
export const APP_EXIT_CODE = 7;
const MIB = 1024 * 1024;

/** One row of the fault matrix: a real app under the preload, with one thing going wrong. */
export interface FaultCase {
  name: string;
  /** The Datadog agent the app talks to, when the case uses one. */
  backend?: BackendMode;
  /** Where the file exporter writes: a folder nobody may write to, or a full disk. */
  output?: 'unwritable-folder' | 'full-disk';
  /** Extra environment (malformed values go here). */
  env?: Record<string, string>;
  periodMs: number;
  periods: number;
  /** Back-to-back synchronous chunks of this length instead of an idle-ish app. */
  busyChunkMs?: number;
  /** Periods the profiler runs when that differs from the app's (a malformed period means the default 60 s; none when off). */
  profilerPeriods?: number;
}

export interface FaultResult {
  name: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** From the app's last line to the end of the process. */
  exitDelayMs: number;
  /** RSS at the end minus RSS after the second period. */
  rssGrowthMiB: number;
  stderrLines: number;
  stderr: string;
  /** What the app printed; the profiler must add nothing. */
  stdout: string;
  /** Periods whose profiles reached the backend or the disk (the final partial one included). */
  delivered: number;
  /** Periods the app ran, the final partial one included. */
  periodsRun: number;
  /** How the full disk was made, for the table. */
  note?: string;
}

const PERIODS = 30;
/** Short, so 30 periods take 12 s; long enough that a loaded 2-core CI machine still keeps up. */
const PERIOD_MS = 400;
/** The matrix's exit-flush budget (VIGIL_EXIT_FLUSH_TIMEOUT), kept short so the matrix is quick. */
export const EXIT_FLUSH_BUDGET_MS = 1_000;

/** Every variable the preload reads, each with a value it must refuse with one warning. */
export const MALFORMED_ENV: Record<string, string> = {
  DD_PROFILING_UPLOAD_PERIOD: 'soon',
  DD_PROFILING_UPLOAD_TIMEOUT: '-5',
  VIGIL_EXIT_FLUSH_TIMEOUT: 'forever',
  DD_TAGS: ',,:nokey,novalue:,',
  DD_PROFILING_PROFILERS: 'cpu,gpu',
  DD_PROFILING_EXPORTERS: 'agent,carrier-pigeon',
  VIGIL_LOG_LEVEL: 'loud',
  DD_TRACE_AGENT_PORT: '99999',
  VIGIL_PROFILE_CHILDREN: 'maybe',
  VIGIL_STOP_ON_EXIT: 'perhaps',
  DD_PROFILING_AGENTLESS: 'sometimes',
  DD_PROFILING_SOURCE_MAP: 'y e s',
  DD_PROFILING_CODEHOTSPOTS_ENABLED: '2',
};

export const FAULT_CASES: FaultCase[] = [
  { name: 'no profiler (baseline)', backend: 'healthy', env: { DD_PROFILING_ENABLED: 'false' }, periodMs: PERIOD_MS, periods: PERIODS, profilerPeriods: 0 },
  { name: 'healthy backend', backend: 'healthy', periodMs: PERIOD_MS, periods: PERIODS },
  { name: 'backend down (refused)', backend: 'down', periodMs: PERIOD_MS, periods: PERIODS },
  { name: 'backend answers 500', backend: 'http-500', periodMs: PERIOD_MS, periods: PERIODS },
  { name: 'backend answers 429 + Retry-After', backend: 'http-429', periodMs: PERIOD_MS, periods: PERIODS },
  { name: 'backend accepts, never answers', backend: 'never-answers', periodMs: PERIOD_MS, periods: PERIODS },
  { name: 'backend resets the connection', backend: 'resets', periodMs: PERIOD_MS, periods: PERIODS },
  { name: 'backend answers slowly (120 ms)', backend: 'slow', periodMs: PERIOD_MS, periods: PERIODS },
  { name: 'unwritable output folder', output: 'unwritable-folder', periodMs: PERIOD_MS, periods: PERIODS },
  { name: 'full disk', output: 'full-disk', periodMs: PERIOD_MS, periods: PERIODS },
  { name: 'malformed values in every variable', backend: 'healthy', env: MALFORMED_ENV, periodMs: PERIOD_MS, periods: PERIODS, profilerPeriods: 1 },
  { name: 'CPU-bound app, 1 s period', backend: 'healthy', periodMs: 1_000, periods: 12, busyChunkMs: 150 },
];

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/^(DD_|VIGIL_|OTEL_|PYROSCOPE_)/.test(key) || key === 'NODE_OPTIONS') delete env[key];
  return env;
}

/** A small full file system: a tmpfs where mounting is allowed (root), else a file-size limit of 0. */
function fullDisk(dir: string): { prefix: string; shellPrefix: string; note: string; cleanup: () => void } {
  const mountPoint = join(dir, 'full');
  mkdirSync(mountPoint);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { stdio: 'ignore' }).status === 0;
  if (mounted) {
    // Fill it, so the first profile already meets ENOSPC.
    try {
      writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(1024 * 1024));
    } catch {
      // ENOSPC: that was the point
    }
    return { prefix: `${mountPoint}/`, shellPrefix: '', note: 'tmpfs 64 KiB, filled', cleanup: () => spawnSync('umount', ['-l', mountPoint], { stdio: 'ignore' }) };
  }
  return { prefix: `${mountPoint}/`, shellPrefix: 'ulimit -f 0; ', note: 'ulimit -f 0 (EFBIG)', cleanup: () => undefined };
}

/** Runs one case and measures it. */
export async function runFaultCase(fault: FaultCase): Promise<FaultResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-fault-'));
  const backend = fault.backend ? new FaultBackend(fault.backend) : undefined;
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    DD_PROFILING_ENABLED: 'true',
    DD_SERVICE: 'fault-matrix',
    DD_PROFILING_UPLOAD_PERIOD: String(fault.periodMs / 1000),
    VIGIL_EXIT_FLUSH_TIMEOUT: String(EXIT_FLUSH_BUDGET_MS),
    FAULT_APP_PERIOD_MS: String(fault.periodMs),
    FAULT_APP_PERIODS: String(fault.periods),
    FAULT_APP_BUSY_CHUNK_MS: String(fault.busyChunkMs ?? 0),
  };
  let shellPrefix = '';
  let note: string | undefined;
  let cleanup = () => undefined as unknown;
  let outputDir: string | undefined;
  if (backend) env.DD_TRACE_AGENT_URL = await backend.start();
  if (fault.output) {
    env.DD_PROFILING_EXPORTERS = 'file';
    if (fault.output === 'unwritable-folder') {
      outputDir = join(dir, 'read-only');
      mkdirSync(outputDir);
      chmodSync(outputDir, 0o500);
      // root ignores permissions: make it a path under a regular file instead, which nobody can create.
      if (process.getuid?.() === 0) {
        writeFileSync(join(dir, 'a-file'), '');
        outputDir = join(dir, 'a-file', 'profiles');
      }
      env.DD_PROFILING_OUTPUT_PPROF = `${outputDir}/`;
    } else {
      const disk = fullDisk(dir);
      env.DD_PROFILING_OUTPUT_PPROF = disk.prefix;
      shellPrefix = disk.shellPrefix;
      note = disk.note;
      cleanup = disk.cleanup;
      outputDir = disk.prefix;
    }
  }
  Object.assign(env, fault.env ?? {});

  const command = `${shellPrefix}exec "${process.execPath}" --require "${registerPath}" "${appPath}"`;
  const child = spawn('/bin/sh', ['-c', command], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let doneAtMs: number | undefined;
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (doneAtMs === undefined && stdout.includes('done ')) doneAtMs = Date.now();
  });
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const hardLimitMs = fault.periodMs * fault.periods + 60_000;
  const killer = setTimeout(() => child.kill('SIGKILL'), hardLimitMs);
  const { code, signal, endedAtMs } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; endedAtMs: number }>((resolve) =>
    child.on('exit', (c, s) => resolve({ code: c, signal: s, endedAtMs: Date.now() })));
  clearTimeout(killer);
  // The detached exit-time uploader may still be sending the last profile.
  if (backend) await new Promise((r) => setTimeout(r, 1_500));

  const rss = /rss2=(\d+) rssEnd=(\d+)/.exec(stdout);
  let delivered = backend?.deliveredPeriods.size ?? 0;
  if (!backend && outputDir) delivered = countFilePeriods(outputDir);
  await backend?.close();
  cleanup();
  rmSync(dir, { recursive: true, force: true });
  return {
    name: fault.name,
    exitCode: code,
    signal,
    exitDelayMs: doneAtMs === undefined ? NaN : endedAtMs - doneAtMs,
    rssGrowthMiB: rss ? (Number(rss[2]) - Number(rss[1])) / MIB : NaN,
    stderrLines: stderr.split('\n').filter(Boolean).length,
    stderr,
    stdout,
    delivered,
    periodsRun: fault.profilerPeriods ?? fault.periods + 1,
    note,
  };
}

function countFilePeriods(dir: string): number {
  try {
    return readdirSync(dir).filter((f) => f.startsWith('wall_')).length;
  } catch {
    return 0;
  }
}

/** Runs cases `concurrency` at a time, in their order. */
export async function runFaultMatrix(cases: readonly FaultCase[] = FAULT_CASES, concurrency = 3): Promise<FaultResult[]> {
  const results: FaultResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      results[index] = await runFaultCase(cases[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));
  return results;
}

/** The results as a Markdown table. */
export function faultTable(results: readonly FaultResult[]): string {
  const rows = results.map((r) => {
    const exit = r.signal ? r.signal : String(r.exitCode);
    const name = r.note ? `${r.name} (${r.note})` : r.name;
    return `| ${name} | ${exit} | ${Number.isNaN(r.exitDelayMs) ? 'never' : `${r.exitDelayMs} ms`} | ${r.rssGrowthMiB.toFixed(1)} MiB | ${r.stderrLines} | ${r.delivered} / ${r.periodsRun} |`;
  });
  return [
    '| case | exit code (app: 7) | last line to exit | RSS growth over the run | stderr lines | profiles delivered / periods |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
