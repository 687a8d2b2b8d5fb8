// `pnpm demo`: starts the local viewer, runs the demo service under `vigil run` (uploading to the
// viewer and writing files), drives load at it, then prints the hotspots of every dimension and
// checks each endpoint's known hotspot is there. `--once` exits after printing (for CI).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startViewer } from '@vigil/viewer';
import { EXPECTED_HOTSPOTS, type ExpectedHotspot } from './expected-hotspots';

const { values } = parseArgs({
  options: {
    once: { type: 'boolean' }, duration: { type: 'string' }, period: { type: 'string' }, port: { type: 'string' },
    connections: { type: 'string' }, data: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(`Usage: pnpm demo [--once] [--duration S] [--period S] [--port N] [--connections N] [--data DIR]

Profiles a demo service with known hotspots for --duration seconds of load (default 30), prints
what each dimension found, and serves the viewer until Ctrl-C (--once: exit after printing).
--data keeps the viewer's store in DIR (default a fresh temporary folder).
`);
  process.exit(0);
}

const durationS = Number(values.duration ?? 30);
const periodS = Number(values.period ?? 10);
const connections = Number(values.connections ?? 6);
const cliBin = join(dirname(require.resolve('@vigil/cli/package.json')), 'dist', 'bin.js');
const serviceJs = join(__dirname, 'service.js');
const say = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), 'vigil-demo-'));
  const profilesDir = join(workDir, 'profiles');
  const viewer = await startViewer({ port: Number(values.port ?? 0), host: '127.0.0.1', dataDir: values.data ?? join(workDir, 'viewer-data') });
  say(`viewer listening on ${viewer.url}`);

  say(`starting the demo service under vigil run (period ${periodS} s, profiles in ${profilesDir})`);
  const service = spawn(process.execPath, [cliBin, 'run', '--out', profilesDir, '--period', String(periodS), '--service', 'vigil-demo', '--profilers', 'cpu,wall,heap,lock,tracing', '--upload', viewer.url, '--', process.execPath, serviceJs], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, DD_ENV: 'demo', DD_VERSION: '1.0.0', DD_TAGS: 'team:demo' },
  });
  const port = await listeningPort(service);
  say(`service on http://127.0.0.1:${port}; ${durationS} s of load with ${connections} connections`);

  const load = await drive(`http://127.0.0.1:${port}`, durationS);
  say(`load done: ${load.requests} requests, ${load.errors} errors, ${load.non2xx} non-2xx`);

  say('stopping the service (SIGTERM); vigil flushes the last partial period');
  const stopped = new Promise((resolve) => service.once('exit', resolve));
  service.kill('SIGTERM');
  await stopped;

  const ok = report(profilesDir);
  say(`\nviewer: ${viewer.url}/?service=vigil-demo  (profiles also in ${profilesDir})`);
  if (values.once) {
    await viewer.close();
    return ok ? 0 : 1;
  }
  say('serving the viewer until Ctrl-C');
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await viewer.close();
  return ok ? 0 : 1;
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk) => {
      buffered += chunk;
      const match = /listening (\d+)/.exec(buffered);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the demo service exited (code ${code}) before listening`)));
  });
}

/** Load from autocannon, cycling through every endpoint; a progress line every 5 s. */
async function drive(url: string, seconds: number): Promise<{ requests: number; errors: number; non2xx: number }> {
  const paths = ['/cpu', '/io', '/lock', '/alloc', '/leak', '/', '/io', '/lock', '/'];
  let done = 0;
  const started = Date.now();
  const progress = setInterval(() => say(`  load: ${Math.round((Date.now() - started) / 1000)} s / ${seconds} s, ${done} requests`), 5000);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, connections, duration: seconds, requests: paths.map((path) => ({ method: 'GET' as const, path })) },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on('response', () => done++);
  }).finally(() => clearInterval(progress));
  return { requests: result.requests.total, errors: result.errors, non2xx: result.non2xx };
}

interface TopRow { name: string; file: string; self: number; cumulative: number; selfPercent: number; cumulativePercent: number }

function vigilTop(dir: string, args: string[]): { rows: TopRow[]; total: number } | { error: string } {
  const run = spawnSync(process.execPath, [cliBin, 'top', dir, '--json', ...args], { encoding: 'utf8' });
  if (run.status !== 0) return { error: run.stderr.trim() };
  return JSON.parse(run.stdout);
}

/** Prints each dimension's top functions and whether the known hotspot is among them. */
function report(dir: string): boolean {
  let allFound = true;
  for (const expected of EXPECTED_HOTSPOTS) {
    const top = vigilTop(dir, ['--type', expected.sampleType, '--limit', '200']);
    say(`\n== ${expected.dimension} (${expected.sampleType}); expected hotspot ${expected.functionName} from ${expected.endpoint}`);
    if ('error' in top) {
      if (expected.optional) {
        say(`   skipped: ${expected.optional} (${top.error})`);
        continue;
      }
      say(`   MISSING: ${top.error}`);
      allFound = false;
      continue;
    }
    const interesting = top.rows.filter((r) => !r.name.startsWith('(') && r.name !== 'anonymous');
    for (const row of interesting.slice(0, 5)) say(`   ${row.selfPercent.toFixed(1).padStart(5)}% self ${row.cumulativePercent.toFixed(1).padStart(5)}% cum  ${row.name}  ${row.file}`);
    const found = top.rows.find((r) => r.name === expected.functionName);
    const verdict = found && found.cumulativePercent >= 1 ? 'found' : 'NOT FOUND';
    if (verdict !== 'found') allFound = false;
    say(`   ${verdict}: ${expected.functionName}${found ? ` (${found.cumulativePercent.toFixed(1)}% cumulative)` : ''}`);
  }
  const byEndpoint = vigilTop(dir, ['--type', 'cpu', '--by', 'endpoint']);
  if (!('error' in byEndpoint)) {
    say('\n== CPU time by endpoint (tracing correlation)');
    for (const row of byEndpoint.rows.slice(0, 6)) say(`   ${row.selfPercent.toFixed(1).padStart(5)}%  ${row.name}`);
    // Time outside any request (idle, GC, the load's own sockets) has no endpoint; skip it.
    const busiest = byEndpoint.rows.find((row) => row.name !== '(no endpoint)');
    if (busiest?.name !== 'GET /cpu') {
      say('   NOT FOUND: GET /cpu should be the most expensive endpoint');
      allFound = false;
    }
  }
  say(allFound ? '\nevery known hotspot was found' : '\nsome known hotspots were not found (see above)');
  return allFound;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`demo failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
