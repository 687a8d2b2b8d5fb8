import { safeLog, type Collector, type Logger } from '@vigil/core';
import { requireHere } from './require-here';

export const COLLECTOR_NAMES = ['cpu', 'wall', 'heap', 'lock', 'tracing'] as const;
export type CollectorName = (typeof COLLECTOR_NAMES)[number];

/**
 * What runs when nothing says otherwise: every dimension. Span correlation ('tracing') is opt-in
 * (DD_PROFILING_PROFILERS=...,tracing, or DD_PROFILING_CODEHOTSPOTS_ENABLED=true): with a tracer
 * loaded it costs about 16-21 us of CPU per request (measured), too much to switch on unasked.
 */
export const DEFAULT_COLLECTORS: readonly CollectorName[] = ['cpu', 'wall', 'heap', 'lock'];

/** How each collector is made: statically imported ones (the library) or loaded on demand (register). */
export type CollectorFactories = Record<CollectorName, () => Collector>;

const NATIVE: readonly CollectorName[] = ['cpu', 'wall', 'heap'];

/**
 * Factories that load a collector's package only when that collector is made, so that the
 * preload pays (in start-up time and memory) only for the dimensions that are on.
 */
export const LAZY_COLLECTOR_FACTORIES: CollectorFactories = {
  cpu: () => (requireHere()('@vigil/cpu') as typeof import('@vigil/cpu')).cpu(),
  wall: () => (requireHere()('@vigil/wall') as typeof import('@vigil/wall')).wall(),
  heap: () => (requireHere()('@vigil/heap') as typeof import('@vigil/heap')).heap(),
  lock: () => (requireHere()('@vigil/lock') as typeof import('@vigil/lock')).lock(),
  tracing: () => (requireHere()('@vigil/tracing-correlation') as typeof import('@vigil/tracing-correlation')).tracingCorrelation(),
};

/**
 * The collectors named (DD_PROFILING_PROFILERS), in a fixed order. When the native addon cannot
 * load (an unsupported platform, a bundle that dropped it), the dimensions that need it are left
 * out with one clear message and the rest still run: the app is never stopped by its profiler.
 */
export function collectorsFor(names: readonly string[], logger: Logger, factories: CollectorFactories = LAZY_COLLECTOR_FACTORIES): Collector[] {
  const wanted = new Set(names.map((n) => (n === 'space' ? 'heap' : n)));
  const unknown = [...wanted].filter((n) => !(COLLECTOR_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) safeLog(() => logger.warn(`unknown profilers ${unknown.join(', ')} ignored; known: ${COLLECTOR_NAMES.join(', ')}`));
  const addonProblem = NATIVE.some((n) => wanted.has(n)) ? nativeAddonProblem() : undefined;
  if (addonProblem) {
    safeLog(() => logger.error(`the native addon @datadog/pprof cannot load here (${addonProblem}); CPU, wall and heap profiling are off, the app runs unprofiled for them`));
  }
  const collectors: Collector[] = [];
  for (const name of COLLECTOR_NAMES) {
    if (!wanted.has(name) || (addonProblem && NATIVE.includes(name))) continue;
    try {
      collectors.push(factories[name]());
    } catch (error) {
      // A collector's package that cannot load (a broken install) costs that dimension only.
      safeLog(() => logger.error(`the ${name} collector cannot load (${firstLine(error)}); the app runs unprofiled for it`));
    }
  }
  return collectors;
}

/**
 * Why the native addon does not load, or undefined when it does. Loading it here (once, it is
 * cached) is the real test: a missing prebuilt binary, a bundle without the `.node` file or a
 * broken install all throw from this require. Only the binding file is loaded (3 ms, against
 * 14 ms for the package's index, which the collectors never use).
 */
export function nativeAddonProblem(): string | undefined {
  try {
    requireHere()('@datadog/pprof/out/src/time-profiler-bindings');
    return undefined;
  } catch (error) {
    return firstLine(error);
  }
}

function firstLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0]!;
}
