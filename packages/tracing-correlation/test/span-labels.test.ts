import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { currentSpanLabels, Profile, Profiler, type Collector, type Exporter, type ProfileBatch } from '@vigil/core';
import { OTHER_ENDPOINTS, tracingCorrelation, type TracingCorrelationOptions } from '../src';

// In-process: no sampler runs here, so these check what every consumer sees through core's
// currentSpanLabels() and the batches' endpoint counts, for the option and span-shape cases.
// Core exports a batch only when it has a profile: a user-style collector provides an empty one.
const emptyProfileCollector = (): Collector => ({
  name: 'empty',
  start: () => undefined,
  collect: async () => ({ profiles: [{ type: 'empty', profile: new Profile() }], errors: [] }),
  stop: async () => undefined,
});
const spans = new InMemorySpanExporter();
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).register();
const tracer = trace.getTracer('labels-test');
const decimal = (hex: string) => BigInt(`0x${hex}`).toString(10);

async function withCorrelation<T>(options: TracingCorrelationOptions, environment: NodeJS.ProcessEnv, body: () => Promise<T>): Promise<{ result: T; batches: ProfileBatch[]; warnings: string[] }> {
  const batches: ProfileBatch[] = [];
  const warnings: string[] = [];
  const recorder: Exporter = { name: 'recorder', export: async (b) => { batches.push(b); return { ok: true }; }, shutdown: async () => undefined };
  const logger = { error: (m: string) => warnings.push(m), warn: (m: string) => warnings.push(m), info: () => undefined, debug: () => undefined };
  const profiler = new Profiler({ service: 't', collectors: [emptyProfileCollector(), tracingCorrelation(options)], exporters: [recorder], logger, environment });
  profiler.start({ stopOnExit: false, profileChildren: false });
  try {
    const result = await body();
    return { result, batches, warnings };
  } finally {
    await profiler.stop({ flush: true });
  }
}

const endpointCounts = (batches: ProfileBatch[]) => batches.reduce<Record<string, number>>((all, b) => {
  for (const [k, v] of Object.entries(b.endpointCounts)) all[k] = (all[k] ?? 0) + v;
  return all;
}, {});

describe('span labels and endpoint counts', () => {
  afterEach(() => spans.reset());

  it('makes the server span the local root under a remote parent, with its route as endpoint for every child', async () => {
    const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true });
    const { result, batches } = await withCorrelation({}, {}, async () => tracer.startActiveSpan('GET', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET' } }, remote, async (server) => {
      const inServer = { ...currentSpanLabels() };
      const inChild = await tracer.startActiveSpan('db.query', async (child) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        const labels = { ...currentSpanLabels() };
        child.end();
        return labels;
      });
      server.setAttribute('http.route', '/orders/:id');
      const afterRoute = { ...currentSpanLabels() };
      server.end();
      return { inServer, inChild, afterRoute, serverId: server.spanContext().spanId };
    }));
    const serverId = decimal(result.serverId);
    expect(result.inServer).toEqual({ 'span id': serverId, 'local root span id': serverId, 'trace endpoint': 'GET' });
    expect(result.inChild['local root span id']).toBe(serverId);
    expect(result.inChild['span id']).not.toBe(serverId);
    expect(result.afterRoute['trace endpoint']).toBe('GET /orders/:id');
    expect(endpointCounts(batches)).toEqual({ 'GET /orders/:id': 1 });
    expect(currentSpanLabels()).toBeUndefined();
  });

  it('with labelGranularity localRoot, labels every span of a request with its root (one label switch per request)', async () => {
    const { result } = await withCorrelation({ labelGranularity: 'localRoot' }, {}, async () => tracer.startActiveSpan('request', async (root) => {
      const inRoot = currentSpanLabels();
      const inChild = await tracer.startActiveSpan('child', async (child) => { await Promise.resolve(); const l = currentSpanLabels(); child.end(); return l; });
      root.end();
      return { inRoot, inChild, rootId: root.spanContext().spanId };
    }));
    expect(result.inChild).toBe(result.inRoot);
    expect({ ...result.inChild }).toEqual({ 'span id': decimal(result.rootId), 'local root span id': decimal(result.rootId), 'trace endpoint': 'request' });
  });

  it('writes hex span ids with spanIdFormat hex, the ids the OpenTelemetry exporter shows', async () => {
    const { result } = await withCorrelation({ spanIdFormat: 'hex' }, {}, async () => tracer.startActiveSpan('job', async (span) => {
      const labels = { ...currentSpanLabels() };
      span.end();
      return labels;
    }));
    const exported = spans.getFinishedSpans().find((s) => s.name === 'job')!;
    expect(result['span id']).toBe(exported.spanContext().spanId);
    expect(result['local root span id']).toBe(exported.spanContext().spanId);
  });

  it('leaves span ids out when code hotspots are off, and endpoints and counts out when endpoint collection is off (from the environment)', async () => {
    const noHotspots = await withCorrelation({}, { DD_PROFILING_CODEHOTSPOTS_ENABLED: 'false' }, async () =>
      tracer.startActiveSpan('job', async (span) => { const l = { ...currentSpanLabels() }; span.end(); return l; }));
    expect(noHotspots.result).toEqual({ 'trace endpoint': 'job' });
    expect(endpointCounts(noHotspots.batches)).toEqual({ job: 1 });
    const noEndpoints = await withCorrelation({}, { DD_PROFILING_ENDPOINT_COLLECTION_ENABLED: 'no' }, async () =>
      tracer.startActiveSpan('job', async (span) => { const l = { ...currentSpanLabels() }; span.end(); return l; }));
    expect(Object.keys(noEndpoints.result)).toEqual(['span id', 'local root span id']);
    expect(endpointCounts(noEndpoints.batches)).toEqual({});
  });

  it('warns once about a bad VIGIL_SPAN_ID_FORMAT and uses decimal', async () => {
    const { result, warnings } = await withCorrelation({}, { VIGIL_SPAN_ID_FORMAT: 'octal' }, async () =>
      tracer.startActiveSpan('job', async (span) => { const l = { ...currentSpanLabels() }; span.end(); return { labels: l, id: span.spanContext().spanId }; }));
    expect(warnings).toEqual([expect.stringMatching(/VIGIL_SPAN_ID_FORMAT.*octal.*decimal/)]);
    expect(result.labels['span id']).toBe(decimal(result.id));
  });

  it('bounds the endpoints counted per period, the rest under (other endpoints)', async () => {
    const { batches } = await withCorrelation({ maxEndpointsPerPeriod: 2 }, {}, async () => {
      for (const name of ['a', 'b', 'c', 'd', 'a']) {
        await tracer.startActiveSpan(name, async (span) => { await Promise.resolve(); span.end(); });
      }
    });
    expect(endpointCounts(batches)).toEqual({ a: 2, b: 1, [OTHER_ENDPOINTS]: 2 });
  });

  it('does not count children, nor a root that has not ended by the end of the period', async () => {
    let open: ReturnType<typeof tracer.startSpan> | undefined;
    const { batches } = await withCorrelation({}, {}, async () => {
      await tracer.startActiveSpan('request', async (root) => {
        await tracer.startActiveSpan('child', async (child) => { child.end(); });
        root.end();
      });
      open = tracer.startSpan('still-running');
      context.with(trace.setSpan(context.active(), open), () => undefined);
    });
    open!.end();
    expect(endpointCounts(batches)).toEqual({ request: 1 });
  });
});
