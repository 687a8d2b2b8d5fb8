// One measured run of a workload under one profiler configuration; prints
// {cpuMs, elapsedMs, startCpuMs, collectCpuMs} (see main()).
// argv: <cpu|io> <none|cpu+wall|wall> <scale>
//   or: <cpu|io> phases <scale> <rounds>: in one process, rounds of none / cpu+wall / wall phases
//       and wall-no-io-wait (order rotating), each phase a fresh Profiler started before and stopped after the
//       measured work; prints {none: [cpuMs...], 'cpu+wall': [...], wall: [...]}.
// The amount of work is fixed (not the time), so profiler overhead shows as more CPU and more time.
import { readFile } from 'node:fs/promises';
import { createServer, request, Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { encodeProfile, Profiler, type Collector, type Exporter } from '@vigil/core';
import { cpu } from '@vigil/cpu';
import { wall } from '@vigil/wall';

const [workload = 'cpu', config = 'none', scaleArg = '1'] = process.argv.slice(2);
const scale = Number(scaleArg);

/** Encodes what it gets, like a real exporter would, and drops it. */
const encodingExporter: Exporter = {
  name: 'encode-only',
  async export(batch) {
    for (const { profile } of batch.profiles) await encodeProfile(profile);
    return { ok: true };
  },
  async shutdown() {},
};

function collectorsFor(name: string): Collector[] {
  if (name === 'cpu+wall') return [cpu(), wall()];
  if (name === 'wall') return [wall()];
  if (name === 'wall-no-io-wait') return [wall({ ioWait: false })];
  return [];
}

// CPU-bound: parsing, sorting and hashing-like arithmetic across a few functions.
function makeRecords(n: number): Array<{ id: number; name: string; score: number }> {
  const out = [];
  for (let i = 0; i < n; i++) out.push({ id: i, name: `user-${(i * 7919) % 10007}`, score: Math.sin(i) * 1000 });
  return out;
}
function rankRecords(records: ReturnType<typeof makeRecords>): number {
  const sorted = [...records].sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return sorted[sorted.length >> 1]!.id;
}
function roundTripJson(records: ReturnType<typeof makeRecords>): number {
  return (JSON.parse(JSON.stringify(records)) as unknown[]).length;
}
function checksum(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
async function cpuWorkload(workScale = scale): Promise<number> {
  let acc = 0;
  const rounds = Math.round(60 * workScale);
  for (let r = 0; r < rounds; r++) {
    const records = makeRecords(20_000);
    acc += rankRecords(records) + roundTripJson(records) + checksum(JSON.stringify(records.slice(0, 2000)));
    // Yield now and then, as a server would, so timers (the profiler's) can run.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return acc;
}

// Async I/O: HTTP requests to a local server (which reads a file and waits on a timer), in parallel.
async function ioWorkload(workScale = scale): Promise<number> {
  const server = createServer((_req, res) => {
    void readFile(__filename).then((data) => {
      setTimeout(() => res.end(String(data.length)), 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const total = Math.round(6000 * workScale);
  let done = 0;
  const one = () => new Promise<void>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    }).on('error', reject).end();
  });
  const lane = async () => {
    while (done < total) {
      done++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  agent.destroy();
  server.close();
  return done;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function main(): Promise<void> {
  const profiler = new Profiler({ service: 'bench', collectors: collectorsFor(config), exporters: [encodingExporter], logger: 'error' });
  // Three phases, measured apart: start (once per process), the work (steady state, sampling and
  // I/O wait instrumentation on), and the final collection + encoding (once per period: 60 s by default).
  let mark = process.cpuUsage();
  if (config !== 'none') profiler.start({ stopOnExit: false, profileChildren: false });
  const startCpuMs = cpuMsSince(mark);
  mark = process.cpuUsage();
  const t0 = performance.now();
  const result = workload === 'io' ? await ioWorkload() : await cpuWorkload();
  const elapsedMs = performance.now() - t0;
  const cpuMs = cpuMsSince(mark);
  mark = process.cpuUsage();
  if (config !== 'none') await profiler.stop({ flush: true });
  const collectCpuMs = cpuMsSince(mark);
  process.stdout.write(`${JSON.stringify({ cpuMs, elapsedMs, startCpuMs, collectCpuMs, result })}\n`);
}

/**
 * Steady state in one process: adjacent phases share the machine's momentary load, so paired
 * ratios are far less noisy than across processes. Start and stop are outside the measured work.
 */
async function phases(rounds: number): Promise<void> {
  const configs = ['none', 'cpu+wall', 'wall', 'wall-no-io-wait'];
  const out: Record<string, number[]> = Object.fromEntries(configs.map((c) => [c, []]));
  const work = () => (workload === 'io' ? ioWorkload(scale) : cpuWorkload(scale));
  await work(); // warm up the JIT and the caches
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < configs.length; i++) {
      const name = configs[(i + round) % configs.length]!;
      const profiler = name === 'none' ? undefined : new Profiler({ service: 'bench', collectors: collectorsFor(name), exporters: [encodingExporter], logger: 'error' });
      profiler?.start({ stopOnExit: false, profileChildren: false });
      // Let the sampler and the I/O wait gates settle as they would in a long-running process.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const mark = process.cpuUsage();
      await work();
      out[name]!.push(cpuMsSince(mark));
      await profiler?.stop({ flush: true });
    }
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (config === 'phases') void phases(Number(process.argv[5] ?? 10));
else void main();
