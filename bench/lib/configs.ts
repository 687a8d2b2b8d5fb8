import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { decodeAnyProfile } from './decode';
import type { PyroscopeSink } from './pyroscope-sink';

const BENCH_DIR = join(__dirname, '..');
const requireFromBench = createRequire(join(BENCH_DIR, 'package.json'));

/** Major version of the Node running the bench (and so the measured processes). */
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** dd-trace@5 supports Node 20; dd-trace@6 needs Node >= 22 (the bench pins both). */
export const DD_TRACE_PACKAGE = NODE_MAJOR >= 22 ? 'dd-trace-v6' : 'dd-trace';

/** How one measured process is started and how its profiles are checked afterwards. */
export interface BenchConfig {
  id: string;
  label: string;
  /** Which profiler family, for the accuracy comparison. */
  family: 'none' | 'vigil' | 'dd-trace' | 'pyroscope';
  launch(run: RunContext): { nodeArgs: string[]; env: Record<string, string> };
}

export interface RunContext {
  /** Empty temp folder, the process's working directory; profiles land here. */
  dir: string;
  /** Unique per run; the Pyroscope application name. */
  runId: string;
  /** Period (upload interval) in seconds, the same for every profiler. */
  periodSeconds: number;
  sinkUrl: string;
}

export interface ProfileCheck {
  ok: boolean;
  profiles: number;
  detail: string;
  /** Decoded pprof buffers by file (or upload) name, kept for the accuracy tables. */
  files: { name: string; bytes: Buffer }[];
}

const vigilRegister = () => requireFromBench.resolve('@vigil/profiler/register');

/**
 * `@vigil/profiler/register` with `profilerEnv` on top of the bench's common settings (the file exporter, the
 * shortened period, a service name). With no `profilerEnv` it runs exactly what a user gets with
 * nothing else set.
 */
function vigil(id: string, label: string, profilerEnv: Record<string, string> = {}, enabled = true): BenchConfig {
  return {
    id,
    label,
    family: 'vigil',
    launch: (run) => ({
      nodeArgs: ['--require', vigilRegister()],
      env: {
        DD_PROFILING_ENABLED: String(enabled),
        DD_PROFILING_EXPORTERS: 'file',
        DD_PROFILING_OUTPUT_PPROF: join(run.dir, 'vigil_'),
        DD_PROFILING_UPLOAD_PERIOD: String(run.periodSeconds),
        DD_SERVICE: 'vigil-bench',
        ...profilerEnv,
      },
    }),
  };
}

/** Every configuration the overhead tables can show, by id. */
export const CONFIGS: Record<string, BenchConfig> = {
  none: { id: 'none', label: 'no profiler', family: 'none', launch: () => ({ nodeArgs: [], env: {} }) },
  'none-aa': { id: 'none-aa', label: 'no profiler (A/A control)', family: 'none', launch: () => ({ nodeArgs: [], env: {} }) },
  // Exactly `node --require @vigil/profiler/register` with nothing set (but the exporter and period).
  'vigil-default': vigil('vigil-default', 'Vigil register defaults (nothing set)'),
  'vigil-all': vigil('vigil-all', 'Vigil all (cpu, wall + I/O wait, heap, lock, tracing)', { DD_PROFILING_PROFILERS: 'cpu,wall,heap,lock,tracing', VIGIL_IO_WAIT_ENABLED: 'true' }),
  // The preload switched off: what a disabled install costs (no profiles: not checked).
  'vigil-disabled': { ...vigil('vigil-disabled', 'Vigil register, DD_PROFILING_ENABLED=false', {}, false), family: 'none' },
  // One collector at a time, to find which one costs what (select with --configs; --breakdown runs them).
  'vigil-cpu': vigil('vigil-cpu', 'Vigil cpu only', { DD_PROFILING_PROFILERS: 'cpu' }),
  'vigil-wall': vigil('vigil-wall', 'Vigil wall only (I/O wait at its default)', { DD_PROFILING_PROFILERS: 'wall' }),
  'vigil-heap': vigil('vigil-heap', 'Vigil heap only', { DD_PROFILING_PROFILERS: 'heap' }),
  'vigil-lock': vigil('vigil-lock', 'Vigil lock only', { DD_PROFILING_PROFILERS: 'lock' }),
  // Accuracy only: the lock collector captures 0.1 % of acquisitions by default, which leaves a
  // few-second test with one or two samples; this row checks the estimator with every event captured.
  'vigil-all-lock100': vigil('vigil-all-lock100', 'Vigil all, lock capture 100 %', { DD_PROFILING_PROFILERS: 'cpu,wall,heap,lock,tracing', VIGIL_IO_WAIT_ENABLED: 'true', VIGIL_LOCK_CAPTURE_PCT: '100' }),
  'dd-trace': {
    id: 'dd-trace',
    label: `dd-trace profiler (${DD_TRACE_PACKAGE === 'dd-trace' ? '5' : '6'}.x, defaults)`,
    family: 'dd-trace',
    launch: (run) => ({
      nodeArgs: ['--require', requireFromBench.resolve(`${DD_TRACE_PACKAGE}/init`)],
      env: {
        // DD_TRACE_ENABLED=false would load the no-op tracer and never start the profiler.
        DD_PROFILING_ENABLED: 'true',
        DD_PROFILING_EXPORTERS: 'file',
        DD_PROFILING_PPROF_PREFIX: join(run.dir, 'dd_'),
        DD_PROFILING_UPLOAD_PERIOD: String(run.periodSeconds),
        DD_SERVICE: 'vigil-bench',
        DD_TELEMETRY_ENABLED: 'false',
        DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
        DD_REMOTE_CONFIGURATION_ENABLED: 'false',
        DD_TRACE_STARTUP_LOGS: 'false',
      },
    }),
  },
  pyroscope: {
    id: 'pyroscope',
    label: '@pyroscope/nodejs (defaults)',
    family: 'pyroscope',
    launch: (run) => ({
      nodeArgs: [],
      env: { BENCH_PYROSCOPE_URL: run.sinkUrl, BENCH_PYROSCOPE_APP: run.runId, BENCH_PERIOD_MS: String(run.periodSeconds * 1000) },
    }),
  },
};

/** Checks that a run really produced profiles: files for Vigil and dd-trace, uploads for Pyroscope. */
export function checkProfiles(config: BenchConfig, run: RunContext, sink: PyroscopeSink): ProfileCheck {
  if (config.family === 'none') return { ok: true, profiles: 0, detail: 'no profiler', files: [] };
  let files: { name: string; bytes: Buffer }[];
  if (config.family === 'pyroscope') {
    files = sink.take(run.runId).map((u, i) => ({ name: `${u.name}#${i}`, bytes: u.body }));
  } else {
    files = readdirSync(run.dir)
      .filter((f) => f.endsWith('.pprof'))
      .map((f) => ({ name: f, bytes: readFileSync(join(run.dir, f)) }));
  }
  let withSamples = 0;
  let broken = 0;
  for (const file of files) {
    try {
      if (decodeAnyProfile(file.bytes).sample.length > 0) withSamples++;
    } catch {
      broken++;
    }
  }
  const ok = files.length > 0 && withSamples > 0 && broken === 0;
  const detail = `${files.length} profiles, ${withSamples} with samples${broken ? `, ${broken} undecodable` : ''}`;
  return { ok, profiles: files.length, detail, files };
}

/** Versions of the peers as installed. */
export function peerVersions(): Record<string, string> {
  const version = (name: string) => {
    try {
      return (JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'missing';
    }
  };
  return {
    'dd-trace (used)': `${DD_TRACE_PACKAGE}@${version(DD_TRACE_PACKAGE)}`,
    '@pyroscope/nodejs': version('@pyroscope/nodejs'),
    '@vigil/profiler': version('@vigil/profiler'),
    autocannon: version('autocannon'),
  };
}
