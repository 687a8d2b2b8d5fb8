import { EnvReader, type Logger } from '@vigil/core';
import type { SpanIdFormat } from './span-labels';

/** Options of `tracingCorrelation()`. Each defaults to its environment variable, then to the default shown. */
export interface TracingCorrelationOptions {
  /** Follow OpenTelemetry API spans (any SDK). Default true. */
  openTelemetry?: boolean;
  /** Follow dd-trace's spans when dd-trace is loaded. Default true. */
  ddTrace?: boolean;
  /** Label samples with `span id` and `local root span id`. Default DD_PROFILING_CODEHOTSPOTS_ENABLED or true. */
  codeHotspots?: boolean;
  /** Label samples with `trace endpoint` and count root spans per endpoint. Default DD_PROFILING_ENDPOINT_COLLECTION_ENABLED or true. */
  endpointCollection?: boolean;
  /** `decimal` (Datadog) or `hex` (OpenTelemetry, Pyroscope). Default VIGIL_SPAN_ID_FORMAT or decimal. */
  spanIdFormat?: SpanIdFormat;
  /**
   * `span` (default): `span id` is the active span. `localRoot`: `span id` is the request's root
   * span, so a request costs one label switch however many child spans it opens (cheaper on
   * span-heavy services, at the price of per-span detail). Default VIGIL_SPAN_LABEL_GRANULARITY or span.
   */
  labelGranularity?: 'span' | 'localRoot';
  /** Distinct endpoints counted per period before the rest go to `(other endpoints)`. Default 1000. */
  maxEndpointsPerPeriod?: number;
  /** How often to look for a tracer registered after the profiler started. Default 1000 ms. */
  tracerPollIntervalMs?: number;
}

export interface ResolvedTracingCorrelationOptions {
  readonly openTelemetry: boolean;
  readonly ddTrace: boolean;
  readonly codeHotspots: boolean;
  readonly endpointCollection: boolean;
  readonly spanIdFormat: SpanIdFormat;
  readonly labelGranularity: 'span' | 'localRoot';
  readonly maxEndpointsPerPeriod: number;
  readonly tracerPollIntervalMs: number;
}

export const DEFAULT_MAX_ENDPOINTS_PER_PERIOD = 1000;
export const DEFAULT_TRACER_POLL_INTERVAL_MS = 1000;

/** Options over the environment; a bad value is one warning and the default. */
export function resolveOptions(options: TracingCorrelationOptions, env: Readonly<NodeJS.ProcessEnv>, logger: Logger): ResolvedTracingCorrelationOptions {
  const reader = new EnvReader(env, (message) => logger.warn(message));
  return {
    openTelemetry: options.openTelemetry ?? true,
    ddTrace: options.ddTrace ?? true,
    codeHotspots: options.codeHotspots ?? reader.bool('DD_PROFILING_CODEHOTSPOTS_ENABLED', true),
    endpointCollection: options.endpointCollection ?? reader.bool('DD_PROFILING_ENDPOINT_COLLECTION_ENABLED', true),
    spanIdFormat: options.spanIdFormat ?? reader.oneOf('VIGIL_SPAN_ID_FORMAT', ['decimal', 'hex'] as const, 'decimal'),
    labelGranularity: options.labelGranularity ?? reader.oneOf('VIGIL_SPAN_LABEL_GRANULARITY', ['span', 'localRoot'] as const, 'span'),
    maxEndpointsPerPeriod: positiveInteger(options.maxEndpointsPerPeriod, 'maxEndpointsPerPeriod', DEFAULT_MAX_ENDPOINTS_PER_PERIOD, logger),
    tracerPollIntervalMs: positiveInteger(options.tracerPollIntervalMs, 'tracerPollIntervalMs', DEFAULT_TRACER_POLL_INTERVAL_MS, logger),
  };
}

function positiveInteger(value: number | undefined, name: string, fallback: number, logger: Logger): number {
  if (value === undefined) return fallback;
  if (Number.isInteger(value) && value > 0) return value;
  logger.warn(`option ${name}=${String(value)} is not a positive integer; using ${fallback}`);
  return fallback;
}
