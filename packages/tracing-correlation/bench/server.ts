// The benchmark's server: node:http traced by OpenTelemetry's Node SDK (spans batched to a
// no-op exporter), with BENCH_MODE choosing what else runs:
//   tracing                    tracing only
//   tracing+profiling          + cpu() and wall()
//   tracing+profiling+correlation  + tracingCorrelation()
// GET /__stats returns the process CPU time and the number of requests served; GET /__exit exits
// (so that `--cpu-prof` can write its file).
import type * as Http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Profiler, type Exporter } from '@vigil/core';
import { cpu } from '@vigil/cpu';
import { wall } from '@vigil/wall';
/* eslint-disable @typescript-eslint/no-require-imports */
const { trace, SpanKind } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
const http = require('node:http') as typeof Http;
/* eslint-enable @typescript-eslint/no-require-imports */
import { tracingCorrelation } from '../src';

const mode = process.env.BENCH_MODE ?? 'tracing';
const useAsyncContextFrame = process.env.BENCH_ACF === '1';

const spanSink = { export: (_spans: unknown[], done: (r: { code: number }) => void) => done({ code: 0 }), shutdown: async () => undefined };
new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(spanSink)] }).register();
const tracer = trace.getTracer('bench');

if (mode !== 'tracing') {
  const discard: Exporter = { name: 'discard', export: async () => ({ ok: true }), shutdown: async () => undefined };
  // BENCH_COLLECTORS=cpu leaves wall() (and its I/O wait instrumentation) out.
  const kinds = (process.env.BENCH_COLLECTORS ?? 'cpu,wall').split(',');
  const collectors = [cpu({ asyncContextFrame: useAsyncContextFrame })];
  if (kinds.includes('wall')) collectors.push(wall({ asyncContextFrame: useAsyncContextFrame }));
  if (mode === 'tracing+profiling+correlation') collectors.push(tracingCorrelation());
  new Profiler({ service: 'bench', collectors, exporters: [discard], uploadPeriodMs: 10_000 }).start({ profileChildren: false });
}

let served = 0;
async function handle(req: Http.IncomingMessage, res: Http.ServerResponse): Promise<void> {
  // A typical handler: a lookup awaited (timer), some JSON work, a nested span, a promise chain.
  const id = Number(req.url?.split('/')[2] ?? 0);
  await sleep(1);
  const order = await tracer.startActiveSpan('load-order', async (span) => {
    await Promise.resolve();
    const items = Array.from({ length: 20 }, (_, i) => ({ sku: `sku-${id}-${i}`, qty: i % 3, price: i * 1.25 }));
    span.end();
    return { id, items, total: items.reduce((s, i) => s + i.qty * i.price, 0) };
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(order));
}

const server = http.createServer((req, res) => {
  if (req.url === '/__exit') {
    res.end('bye', () => process.exit(0));
    return;
  }
  if (req.url === '/__stats') {
    const usage = process.cpuUsage();
    res.end(JSON.stringify({ cpuMicros: usage.user + usage.system, served }));
    return;
  }
  served++;
  tracer.startActiveSpan(req.method ?? 'GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': '/orders/:id' } }, (span) => {
    res.on('finish', () => span.end());
    void handle(req, res);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));
