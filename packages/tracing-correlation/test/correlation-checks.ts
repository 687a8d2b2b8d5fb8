import { totalsByFunction } from '@vigil/core';
import { functionTotal, type ServerRun } from './http-harness';

export const HEAVY_ENDPOINT = 'GET /orders/:id';
export const CHEAP_ENDPOINT = 'GET /health';
const FINISH_ENDPOINT = 'POST /finish';

/** Every labelled sample of `type`: its span must be one the tracer recorded, under the recorded root and endpoint. */
export function crossTalkReport(run: ServerRun, type: string, sampleType: string): { labelled: number; unknownSpan: number; wrongRoot: number; wrongEndpoint: number; provisionalEndpoint: number } {
  const bySpanId = new Map(run.spans.map((s) => [s.spanId, s]));
  const rootNames = new Set(run.spans.filter((s) => s.spanId === s.rootSpanId).map((s) => s.name));
  const report = { labelled: 0, unknownSpan: 0, wrongRoot: 0, wrongEndpoint: 0, provisionalEndpoint: 0 };
  for (const { profile } of run.profiles.filter((p) => p.type === type)) {
    totalsByFunction(profile, sampleType, (labels) => {
      const spanId = labels['span id'];
      // The request that stops the profiler is still open when the fixture writes the spans it saw.
      if (spanId === undefined || labels['trace endpoint'] === FINISH_ENDPOINT) return false;
      report.labelled++;
      const span = bySpanId.get(String(spanId));
      if (!span) report.unknownSpan++;
      else {
        if (String(labels['local root span id']) !== span.rootSpanId) report.wrongRoot++;
        const endpoint = String(labels['trace endpoint']);
        // A request still in flight when a period closed carries the root's name (its route was not known yet).
        if (endpoint !== span.endpoint) {
          if (rootNames.has(endpoint)) report.provisionalEndpoint++;
          else report.wrongEndpoint++;
        }
      }
      return false;
    });
  }
  return report;
}

/** Checks a user would make on one server run; shared by the OpenTelemetry and dd-trace tests. */
export function expectCorrelated(run: ServerRun, childSpanName: string): Record<string, number> {
  // The heavy function is attributed to the heavy endpoint's spans, almost nothing to the cheap one.
  const heavyCpu = functionTotal(run, 'cpu', 'cpu', 'heavyBurn');
  const onHeavy = functionTotal(run, 'cpu', 'cpu', 'heavyBurn', (l) => l['trace endpoint'] === HEAVY_ENDPOINT);
  const onCheap = functionTotal(run, 'cpu', 'cpu', 'heavyBurn', (l) => l['trace endpoint'] === CHEAP_ENDPOINT);
  expect(heavyCpu).toBeGreaterThan(0.3 * run.truth.heavyBurnNanos);
  expect(onHeavy / heavyCpu).toBeGreaterThan(0.9);
  expect(onCheap / heavyCpu).toBeLessThan(0.02);

  // Inside the heavy function the active span is the child span, under its request's root.
  const computeIds = new Set(run.spans.filter((s) => s.name === childSpanName).map((s) => s.spanId));
  const onChild = functionTotal(run, 'cpu', 'cpu', 'heavyBurn', (l) => computeIds.has(String(l['span id'])));
  expect(onChild / heavyCpu).toBeGreaterThan(0.9);

  // No cross-talk: every labelled sample names a span the tracer recorded, with that span's root and endpoint.
  for (const type of ['cpu', 'wall']) {
    const report = crossTalkReport(run, type, type === 'cpu' ? 'cpu' : 'wall');
    expect(report.labelled).toBeGreaterThan(0);
    expect(report).toEqual({ labelled: report.labelled, unknownSpan: 0, wrongRoot: 0, wrongEndpoint: 0, provisionalEndpoint: report.provisionalEndpoint });
    expect(report.provisionalEndpoint / report.labelled).toBeLessThan(0.05);
  }
  const wallOnHeavy = functionTotal(run, 'wall', 'wall', 'heavyBurn', (l) => l['trace endpoint'] === HEAVY_ENDPOINT);
  expect(wallOnHeavy / functionTotal(run, 'wall', 'wall', 'heavyBurn')).toBeGreaterThan(0.9);

  // Endpoint counts in the batches match the requests sent.
  expect(run.endpointCounts[HEAVY_ENDPOINT]).toBe(run.sent.heavy);
  expect(run.endpointCounts[CHEAP_ENDPOINT]).toBe(run.sent.cheap);
  return {
    heavyCpuMs: heavyCpu / 1e6, truthMs: run.truth.heavyBurnNanos / 1e6, onHeavyShare: onHeavy / heavyCpu, onCheapShare: onCheap / heavyCpu,
    onChildShare: onChild / heavyCpu, labelledCpuSamples: crossTalkReport(run, 'cpu', 'cpu').labelled,
  };
}
