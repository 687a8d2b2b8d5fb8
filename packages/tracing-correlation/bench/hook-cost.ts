// Cost of each correlation hook in isolation, in ns per operation, with a running sampler:
//   startActiveSpan + end        (a new root: its labels, root tracking, the wrapped `with`)
//   request                      (CPU per simulated request: root + child span, immediates, promises, 8 in flight)
//   await inside an active span  (Node 20 path: the async_hooks `before` hook + setContext)
//   context.with(span)           (the wrapped context manager: labels + runWithContext)
//   node --import tsx bench/hook-cost.ts
import { Profiler, type Exporter } from '@vigil/core';
import { cpu } from '@vigil/cpu';
import { tracingCorrelation } from '../src';
/* eslint-disable @typescript-eslint/no-require-imports */
const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
/* eslint-enable @typescript-eslint/no-require-imports */

new NodeTracerProvider().register();
const tracer = api.trace.getTracer('bench');
const useAsyncContextFrame = Number(process.versions.node.split('.')[0]) >= 24 && !process.argv.includes('--no-acf');

async function awaitsInSpan(n: number): Promise<number> {
  const start = process.hrtime.bigint();
  await tracer.startActiveSpan('s', async (span) => {
    for (let i = 0; i < n; i++) await null;
    span.end();
  });
  return Number(process.hrtime.bigint() - start) / n;
}

function withCalls(n: number): number {
  const span = tracer.startSpan('w');
  const ctx = api.trace.setSpan(api.context.active(), span);
  let x = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) x += api.context.with(ctx, () => i);
  const ns = Number(process.hrtime.bigint() - start) / n;
  span.end();
  return x >= 0 ? ns : ns;
}

function newRootSpans(n: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) tracer.startActiveSpan('root', (span) => span.end());
  return Number(process.hrtime.bigint() - start) / n;
}

/** CPU ns per simulated request: a root span, a child span, awaits on immediates and promises, 8 in flight. */
async function requests(n: number): Promise<number> {
  const cpuStart = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next++ < n) {
      await tracer.startActiveSpan('GET', async (root) => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        await tracer.startActiveSpan('load', async (child) => {
          await Promise.resolve();
          JSON.stringify({ id: next, items: [1, 2, 3] });
          child.end();
        });
        await new Promise<void>((resolve) => setImmediate(resolve));
        root.end();
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const used = process.cpuUsage(cpuStart);
  return ((used.user + used.system) * 1000) / n;
}

type Measure = 'await' | 'with' | 'rootSpan' | 'request';
async function measureOnce(): Promise<Record<Measure, number>> {
  return { await: await awaitsInSpan(100_000), with: withCalls(100_000), rootSpan: newRootSpans(20_000), request: await requests(20_000) };
}

type Mode = 'tracing only' | 'tracing + cpu profiling' | 'tracing + cpu profiling + correlation' | '... + correlation, localRoot labels';
const MODES: Mode[] = ['tracing only', 'tracing + cpu profiling', 'tracing + cpu profiling + correlation', '... + correlation, localRoot labels'];

/** Runs the three modes interleaved, `rounds` times, keeping the best of each (the least disturbed by other load). */
async function main(): Promise<void> {
  const discard: Exporter = { name: 'discard', export: async () => ({ ok: true }), shutdown: async () => undefined };
  const best = new Map(MODES.map((m) => [m, { await: Infinity, with: Infinity, rootSpan: Infinity, request: Infinity }]));
  const rounds = 7;
  for (let round = 0; round < rounds; round++) {
    for (const mode of MODES) {
      let profiler: Profiler | undefined;
      if (mode !== 'tracing only') {
        const correlation = mode.endsWith('correlation') ? [tracingCorrelation()] : mode.endsWith('localRoot labels') ? [tracingCorrelation({ labelGranularity: 'localRoot' })] : [];
        const collectors = [cpu({ asyncContextFrame: useAsyncContextFrame }), ...correlation];
        profiler = new Profiler({ service: 'bench', collectors, exporters: [discard], logger: 'error' });
        profiler.start({ stopOnExit: false, profileChildren: false });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const m = await measureOnce();
      const b = best.get(mode)!;
      b.await = Math.min(b.await, m.await);
      b.with = Math.min(b.with, m.with);
      b.rootSpan = Math.min(b.rootSpan, m.rootSpan);
      b.request = Math.min(b.request, m.request);
      await profiler?.stop({ flush: false });
    }
  }
  process.stdout.write(`Node ${process.version}, ${useAsyncContextFrame ? 'AsyncContextFrame' : 'async hooks + setContext'} path (best of ${rounds}, interleaved), ns per operation\n`);
  for (const [mode, b] of best) {
    process.stdout.write(`${mode.padEnd(40)} await in span ${b.await.toFixed(0).padStart(5)}   context.with ${b.with.toFixed(0).padStart(5)}   startActiveSpan+end (root) ${b.rootSpan.toFixed(0).padStart(6)}   request ${b.request.toFixed(0).padStart(6)}\n`);
  }
  const profiling = best.get('tracing + cpu profiling')!;
  for (const mode of ['tracing + cpu profiling + correlation', '... + correlation, localRoot labels'] as const) {
    const correlated = best.get(mode)!;
    process.stdout.write(`added by ${mode}: ${(correlated.await - profiling.await).toFixed(0)} ns per await in a span, ${(correlated.with - profiling.with).toFixed(0)} ns per context.with, ${(correlated.rootSpan - profiling.rootSpan).toFixed(0)} ns per root span, ${(correlated.request - profiling.request).toFixed(0)} ns CPU per simulated request\n`);
  }
}

void main();
