import { SpanKind, trace, type Span } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry tracing for the demo: one SERVER span per request with its route, so Vigil's
 * tracing correlation can label samples with `trace endpoint`. No span exporter: the demo only
 * needs spans to exist while requests run.
 */
export function startTracing(): void {
  new NodeTracerProvider().register();
}

const tracer = () => trace.getTracer('vigil-demo');

/** Runs a request handler inside a server span named after its route. */
export function inRequestSpan<T>(method: string, route: string, handler: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(`${method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.method': method, 'http.route': route } }, async (span) => {
    try {
      return await handler(span);
    } finally {
      span.end();
    }
  });
}
