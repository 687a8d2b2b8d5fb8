// Added cost of profiling + span correlation on a traced HTTP server, measured with autocannon on
// 127.0.0.1. Each mode runs in its own server process; modes are interleaved over rounds so the
// noise of a shared 2-core machine hits them alike. Reports throughput, latency and the server's
// CPU time per request (the most stable measure here), and the differences between modes.
//   node --import tsx bench/http-overhead.ts [--rounds 3] [--seconds 5] [--connections 8]
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<{ requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }>;

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : fallback; };
const rounds = arg('rounds', 3);
const seconds = arg('seconds', 5);
const connections = arg('connections', 8);
const useAsyncContextFrame = Number(process.versions.node.split('.')[0]) >= 24 && !args.includes('--no-acf');
const modes = ['tracing', 'tracing+profiling', 'tracing+profiling+correlation'] as const;

interface Sample { reqPerSec: number; p50: number; p99: number; cpuMicrosPerRequest: number }

async function startServer(mode: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'server.ts')], {
    cwd: join(__dirname, '..'), env: { ...process.env, BENCH_MODE: mode, BENCH_ACF: useAsyncContextFrame ? '1' : '0', VIGIL_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve((JSON.parse(String(d).split('\n')[0]) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`server ${mode} exited with ${code}`)));
  });
  return { child, port };
}

async function stats(port: number): Promise<{ cpuMicros: number; served: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/__stats`);
  return (await res.json()) as { cpuMicros: number; served: number };
}

async function measure(mode: string): Promise<Sample> {
  const { child, port } = await startServer(mode);
  try {
    const url = `http://127.0.0.1:${port}/orders/42`;
    await autocannon({ url, connections, duration: 1 }); // warm-up: JIT, sampler start
    const before = await stats(port);
    const result = await autocannon({ url, connections, duration: seconds });
    const after = await stats(port);
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${mode}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return { reqPerSec: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / (after.served - before.served) };
  } finally {
    child.kill();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const samples = new Map<string, Sample[]>(modes.map((m) => [m, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const mode of round % 2 === 1 ? modes : [...modes].reverse()) {
      const sample = await measure(mode);
      samples.get(mode)!.push(sample);
      process.stdout.write(`round ${round} ${mode.padEnd(32)} ${sample.reqPerSec.toFixed(0)} req/s  p50 ${sample.p50} ms  p99 ${sample.p99} ms  ${sample.cpuMicrosPerRequest.toFixed(1)} µs CPU/request\n`);
    }
  }
  const summary = modes.map((mode) => {
    const s = samples.get(mode)!;
    return { mode, reqPerSec: median(s.map((x) => x.reqPerSec)), cpuMicrosPerRequest: median(s.map((x) => x.cpuMicrosPerRequest)), p99: median(s.map((x) => x.p99)) };
  });
  const [base, profiling, correlation] = summary;
  process.stdout.write(`\nNode ${process.version}, ${useAsyncContextFrame ? 'AsyncContextFrame (useCPED)' : 'async hooks + setContext'} path, ${connections} connections, ${rounds} x ${seconds} s per mode (medians)\n`);
  for (const s of summary) process.stdout.write(`${s.mode.padEnd(32)} ${s.reqPerSec.toFixed(0)} req/s  ${s.cpuMicrosPerRequest.toFixed(1)} µs CPU/request  p99 ${s.p99} ms\n`);
  const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)} %`;
  process.stdout.write(`profiling adds       ${(profiling.cpuMicrosPerRequest - base.cpuMicrosPerRequest).toFixed(1)} µs CPU/request (${pct(profiling.cpuMicrosPerRequest, base.cpuMicrosPerRequest)}), throughput ${pct(profiling.reqPerSec, base.reqPerSec)}\n`);
  process.stdout.write(`correlation adds     ${(correlation.cpuMicrosPerRequest - profiling.cpuMicrosPerRequest).toFixed(1)} µs CPU/request (${pct(correlation.cpuMicrosPerRequest, profiling.cpuMicrosPerRequest)}) over profiling, throughput ${pct(correlation.reqPerSec, profiling.reqPerSec)}\n`);
  process.stdout.write(`profiling+correlation ${(correlation.cpuMicrosPerRequest - base.cpuMicrosPerRequest).toFixed(1)} µs CPU/request (${pct(correlation.cpuMicrosPerRequest, base.cpuMicrosPerRequest)}) over tracing only, throughput ${pct(correlation.reqPerSec, base.reqPerSec)}\n`);
}

void main();
