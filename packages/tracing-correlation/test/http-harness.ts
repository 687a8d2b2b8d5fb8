import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProfile, totalsByFunction, type Profile, type SampleLabels } from '@vigil/core';

export const PACKAGE_DIR = join(__dirname, '..');
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

export interface SpanRecord { spanId: string; rootSpanId: string; name: string; endpoint: string }
export interface ServerRun {
  usesAsyncContextFrame: boolean;
  truth: { heavyBurnNanos: number; heavyRequests: number; cheapRequests: number };
  spans: SpanRecord[];
  infoLines: string[];
  endpointCounts: Record<string, number>;
  profiles: Array<{ type: string; profile: Profile }>;
  stderr: string;
  sent: { heavy: number; cheap: number };
}

/** Starts the fixture server, sends `heavy` + `cheap` requests in random order, `concurrency` in flight, and collects its results. */
export async function runServer(env: Record<string, string>, load: { heavy: number; cheap: number; concurrency: number }): Promise<ServerRun> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tc-'));
  const out = join(dir, 'out.json');
  const child = spawn(process.execPath, ['--import', 'tsx', join(PACKAGE_DIR, 'test/fixtures/http-server.ts')], {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...env, FIXTURE_OUT: out, DD_TRACE_TELEMETRY_ENABLED: 'false', DD_REMOTE_CONFIGURATION_ENABLED: 'false', DD_PROFILING_ENABLED: 'false', DD_TRACE_STARTUP_LOGS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += String(d); });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (d) => {
        stdout += String(d);
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve((JSON.parse(line) as { port: number }).port);
      });
      child.once('exit', (code) => reject(new Error(`fixture exited (${code}) before listening: ${stderr}`)));
    });
    const agent = new Agent({ keepAlive: true, maxSockets: load.concurrency });
    const paths = [...Array(load.heavy).fill('heavy'), ...Array(load.cheap).fill('cheap')].sort(() => Math.random() - 0.5)
      .map((kind, i) => (kind === 'heavy' ? `/orders/${i}` : '/health'));
    let next = 0;
    const worker = async () => {
      while (next < paths.length) await get(port, paths[next++], agent);
    };
    await Promise.all(Array.from({ length: load.concurrency }, worker));
    await get(port, '/finish', agent, 'POST');
    agent.destroy();
    await new Promise((resolve) => child.once('exit', resolve));
    const raw = JSON.parse(readFileSync(out, 'utf8')) as Omit<ServerRun, 'profiles' | 'endpointCounts' | 'stderr' | 'sent'> & {
      batches: Array<{ endpointCounts: Record<string, number>; profiles: Array<{ type: string; pprof: string }> }>;
    };
    const endpointCounts: Record<string, number> = {};
    for (const batch of raw.batches) for (const [k, v] of Object.entries(batch.endpointCounts)) endpointCounts[k] = (endpointCounts[k] ?? 0) + v;
    const profiles = raw.batches.flatMap((b) => b.profiles.map((p) => ({ type: p.type, profile: decodeProfile(Buffer.from(p.pprof, 'base64')) })));
    return { ...raw, endpointCounts, profiles, stderr, sent: { heavy: load.heavy, cheap: load.cheap } };
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function get(port: number, path: string, agent: Agent, method = 'GET'): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sums `sampleType` of `functionName` over every profile of `type`, for samples passing `filter`. */
export function functionTotal(run: ServerRun, type: string, sampleType: string, functionName: string, filter: (labels: SampleLabels) => boolean = () => true): number {
  let sum = 0;
  for (const { profile } of run.profiles.filter((p) => p.type === type)) {
    sum += totalsByFunction(profile, sampleType, filter).functions.filter((f) => f.name === functionName).reduce((s, f) => s + f.cumulative, 0);
  }
  return sum;
}

/** Distinct values of `label` on samples of `type` where `functionName` is on the stack. */
export function labelValuesOn(run: ServerRun, type: string, sampleType: string, functionName: string, label: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const { profile } of run.profiles.filter((p) => p.type === type)) {
    // totalsByFunction with a filter that records the label of every sample passing through it
    const seen: string[] = [];
    totalsByFunction(profile, sampleType, (labels) => { seen.push(String(labels[label] ?? '')); return true; });
    // then per value, the function's total on that value
    for (const value of new Set(seen)) {
      const total = totalsByFunction(profile, sampleType, (labels) => String(labels[label] ?? '') === value).functions
        .filter((f) => f.name === functionName).reduce((s, f) => s + f.cumulative, 0);
      if (total > 0) values.set(value, (values.get(value) ?? 0) + total);
    }
  }
  return values;
}
