export { tracingCorrelation, TRACING_CORRELATION_COLLECTOR_NAME } from './tracing-correlation';
export type { TracingCorrelationOptions, ResolvedTracingCorrelationOptions } from './options';
export { DEFAULT_MAX_ENDPOINTS_PER_PERIOD, DEFAULT_TRACER_POLL_INTERVAL_MS } from './options';
export { SPAN_ID_LABEL, LOCAL_ROOT_SPAN_ID_LABEL, TRACE_ENDPOINT_LABEL } from './span-labels';
export type { SpanIdFormat } from './span-labels';
export { OTHER_ENDPOINTS } from './endpoint-counts';
export { openTelemetryEndpointOf } from './opentelemetry-source';
export { runningSampler } from './sampler-link';
export type { CorrelatableSampler, SamplerLabels } from './sampler-link';
