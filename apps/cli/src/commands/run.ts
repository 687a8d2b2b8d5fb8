import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { quoteForNodeOptions } from '@vigil/core';
import { formatPercent, formatTable, formatValue } from '../format-value';
import { hotspots } from '../hotspots';
import { loadProfiles } from '../profile-files';
import { resolveSampleType } from '../sample-types';
import { UsageError } from '../usage-error';
import { numberOption } from './options';

export const runHelp = `Usage: vigil run [options] -- <command> [args...]

Runs a Node program (and the Node processes it starts) under the profiler, writes profiles to a
folder or uploads them, and prints the top CPU hotspots at the end. CPU and wall time are sampled
all the time (the register preload alone samples 10 s a minute; VIGIL_SAMPLING_DUTY_CYCLE sets
it). Standard input and output, the exit code and signals pass through unchanged.

Options:
  --out <dir>            where profiles go (default ./profiles)
  --profilers <list>     comma list of cpu, wall, heap, lock, tracing (span labels and endpoint
                         counts from OpenTelemetry or dd-trace); default cpu,wall,heap,lock
  --period <seconds>     profile period (default 60; the last partial period is always kept)
  --service <name>       service tag (default the program's name)
  --upload <url>         also upload to a Datadog-agent-compatible intake (e.g. vigil serve's URL)
  -h, --help             this help

Examples:
  vigil run -- node server.js
  vigil run --out /tmp/p --period 10 -- node --enable-source-maps dist/app.js
  vigil run --profilers cpu,heap -- npm test
  vigil run --upload http://127.0.0.1:8126 -- node app.mjs`;

/** The preload every profiled process gets; resolved from the installed `@vigil/profiler` package. */
function registerPath(): string {
  try {
    return require.resolve('@vigil/profiler/register');
  } catch {
    throw new UsageError('cannot find @vigil/profiler/register (a dependency of @vigil/cli): reinstall @vigil/cli, or in a clone of this repo build it first (npx -y pnpm@10 build)');
  }
}

export async function runCommand(argv: string[], out: (text: string) => void): Promise<number> {
  const separator = argv.indexOf('--');
  const own = separator >= 0 ? argv.slice(0, separator) : argv;
  const command = separator >= 0 ? argv.slice(separator + 1) : [];
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      out: { type: 'string' }, profilers: { type: 'string' }, period: { type: 'string' }, service: { type: 'string' },
      upload: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out(runHelp);
    return 0;
  }
  const program = command.length > 0 ? command : positionals;
  if (program.length === 0) throw new UsageError('vigil run needs a command after --\n\n' + runHelp);
  const periodSeconds = numberOption('--period', values.period, 60);
  const outDir = resolve(values.out ?? 'profiles');
  mkdirSync(outDir, { recursive: true });
  if (values.upload) {
    try {
      new URL(values.upload);
    } catch {
      throw new UsageError(`--upload must be a URL, got ${JSON.stringify(values.upload)}`);
    }
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DD_PROFILING_ENABLED: 'true',
    DD_PROFILING_UPLOAD_PERIOD: String(periodSeconds),
    DD_PROFILING_OUTPUT_PPROF: `${outDir}/`,
    DD_PROFILING_EXPORTERS: values.upload ? 'file,agent' : 'file',
    // A local run wants every second of the program; production's default samples 10 s a minute.
    VIGIL_SAMPLING_DUTY_CYCLE: process.env.VIGIL_SAMPLING_DUTY_CYCLE ?? '1',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${quoteForNodeOptions(registerPath())}`.trim(),
  };
  if (values.profilers) env.DD_PROFILING_PROFILERS = values.profilers;
  if (values.service) env.DD_SERVICE = values.service;
  if (values.upload) env.DD_TRACE_AGENT_URL = values.upload;

  const startedMs = Date.now();
  const child = spawn(program[0]!, program.slice(1), { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => {
    process.stderr.write(`vigil: ${signal} sent to the program; waiting for its last profile...\n`);
    child.kill(signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
    child.once('error', (error) => fail(new UsageError(`cannot start ${program[0]}: ${error.message}`)));
    child.once('exit', (code, signal) => done({ code, signal }));
  }).finally(() => {
    for (const s of signals) process.removeListener(s, forward);
  });

  printSummary(outDir, startedMs, (t) => process.stderr.write(`${t}\n`));
  if (exit.signal) {
    // Die the way the program died, so callers (shells, CI) see the same thing.
    process.kill(process.pid, exit.signal);
    await new Promise((r) => setTimeout(r, 1000));
  }
  return exit.code ?? 1;
}

/** As many rows as `vigil top` shows by default. */
const SUMMARY_ROWS = 10;

/** Where the run's profiles are, and its top CPU (or wall) hotspots. */
function printSummary(outDir: string, sinceMs: number, print: (text: string) => void): void {
  const files = readdirSync(outDir)
    .filter((f) => f.endsWith('.pprof'))
    .map((f) => join(outDir, f))
    .filter((f) => statSync(f).mtimeMs >= sinceMs - 1000);
  if (files.length === 0) {
    print(`vigil: no profiles were written to ${outDir}`);
    return;
  }
  const pids = new Set(files.map((f) => /_(\d+)_\d+_/.exec(f)?.[1]).filter(Boolean));
  print(`\nvigil: ${files.length} profile file(s) from ${pids.size} process(es) in ${outDir}`);
  try {
    const profiles = loadProfiles(files).map((l) => l.profile);
    const { type, unit } = resolveSampleType(profiles, undefined);
    const result = hotspots(profiles, type, 'function');
    // The same rows as `vigil top` on this folder: anonymous functions, GC and (program) included,
    // so the summary never hides a hotspot that top shows.
    const rows = result.rows.slice(0, SUMMARY_ROWS);
    print(`top ${type} hotspots (total ${formatValue(result.total, unit)}):`);
    print(formatTable([['self', 'self%', 'function'], ...rows.map((r) => [formatValue(r.self, unit), formatPercent(r.self, result.total), r.file ? `${r.name}  ${r.file}` : r.name])], [0, 1]));
    print(`more: vigil top ${outDir} --type wall | inuse_space | lock-acquire-wait`);
  } catch (error) {
    print(`vigil: could not summarize the profiles: ${(error as Error).message}`);
  }
}
