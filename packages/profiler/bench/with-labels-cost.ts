// Cost of withLabels per call, and what it adds to async work, measured in CPU time (medians of
// interleaved rounds; the A/A pair shows the noise floor).
//   node --import tsx bench/with-labels-cost.ts                (from packages/profiler)
//   VIGIL_SAMPLER_ASYNC_CONTEXT_FRAME=false ... on Node >= 24 for the thread-wide path
// Rows: a synchronous call with and without withLabels around it; an async call (three awaits)
// with and without; and, on the thread-wide path (Node 20), plain async work before and after the
// first withLabels (its callback hook stays on for the life of the process).
import { Profiler, cpu, wall, withLabels } from '../src';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const CALLS = 200_000;

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

function work(): number {
  let x = 0;
  for (let i = 0; i < 20; i++) x += i;
  return x;
}

async function asyncWork(): Promise<number> {
  await Promise.resolve();
  await Promise.resolve();
  await Promise.resolve();
  return work();
}

const tenants = ['a', 'b', 'c', 'd'];
const labelsByTenant = tenants.map((tenant) => ({ tenant }));

async function measure(name: string, results: Map<string, number[]>, run: () => Promise<void> | void): Promise<void> {
  const t0 = cpuMicros();
  await run();
  const ns = ((cpuMicros() - t0) * 1000) / CALLS;
  results.set(name, [...(results.get(name) ?? []), ns]);
}

async function main(): Promise<void> {
  const profiler = new Profiler({ collectors: [cpu(), wall({ ioWait: false })], exporters: [], logger: 'silent', environment: process.env });
  profiler.start({ stopOnExit: false, profileChildren: false });
  const results = new Map<string, number[]>();
  const plainAsync = async () => { for (let i = 0; i < CALLS; i++) await asyncWork(); };
  // Before any withLabels: the thread-wide path has no callback hook yet.
  for (let round = 0; round < ROUNDS; round++) await measure('async, before any withLabels', results, plainAsync);
  for (let round = 0; round < ROUNDS; round++) {
    const rows: Array<[string, () => Promise<void> | void]> = [
      ['sync, plain', () => { for (let i = 0; i < CALLS; i++) work(); }],
      ['sync, in withLabels', () => { for (let i = 0; i < CALLS; i++) withLabels(labelsByTenant[i & 3]!, work); }],
      ['sync, plain (A/A)', () => { for (let i = 0; i < CALLS; i++) work(); }],
      ['async, plain', plainAsync],
      ['async, in withLabels', async () => { for (let i = 0; i < CALLS; i++) await withLabels(labelsByTenant[i & 3]!, asyncWork); }],
      ['async, plain (A/A)', plainAsync],
    ];
    for (const [name, run] of round % 2 === 0 ? rows : [...rows].reverse()) await measure(name, results, run);
  }
  await profiler.stop({ flush: false });
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`withLabels cost, ns CPU per call, medians of ${ROUNDS} rounds (Node ${process.version}, sampler context ${process.env.VIGIL_SAMPLER_ASYNC_CONTEXT_FRAME === 'false' || Number(process.versions.node.split('.')[0]) < 24 ? 'thread-wide' : 'AsyncContextFrame'}):`);
  for (const [name, values] of results) console.log(`  ${name.padEnd(32)} ${median(values).toFixed(0).padStart(8)}`);
}

void main();
