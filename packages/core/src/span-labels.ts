import { withUserLabels } from './user-labels';

/**
 * The labels of the span active right now (`span id`, `local root span id`, `trace endpoint`),
 * for collectors that record discrete events (lock waits, GC pauses, I/O). Tracing correlation
 * installs the provider; without it every call returns undefined. Kept on globalThis so duplicated
 * installs of packages still meet.
 */
export type SpanLabelsProvider = () => Readonly<Record<string, string>> | undefined;

const PROVIDER_KEY = Symbol.for('vigil.span-labels-provider.v1');

type Holder = Record<symbol, SpanLabelsProvider | undefined>;

/** Installs (or with undefined, removes) the process-wide span labels provider. */
export function setSpanLabelsProvider(provider: SpanLabelsProvider | undefined): void {
  (globalThis as unknown as Holder)[PROVIDER_KEY] = provider;
}

/**
 * Labels of the active span merged with the app's own (`withLabels`), or undefined when there are
 * neither (no span active, or no tracer correlated, and no `withLabels` scope).
 */
export function currentSpanLabels(): Readonly<Record<string, string>> | undefined {
  const provider = (globalThis as unknown as Holder)[PROVIDER_KEY];
  let labels: Readonly<Record<string, string>> | undefined;
  if (provider) {
    try {
      labels = provider();
    } catch {
      labels = undefined;
    }
  }
  return withUserLabels(labels) as Readonly<Record<string, string>> | undefined;
}
