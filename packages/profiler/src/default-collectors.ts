import { createRequire } from 'node:module';
import { safeLog, type Collector, type Logger } from '@vigil/core';
import { cpu } from '@vigil/cpu';
import { heap } from '@vigil/heap';
import { lock } from '@vigil/lock';
import { tracingCorrelation } from '@vigil/tracing-correlation';
import { wall } from '@vigil/wall';

export const COLLECTOR_NAMES = ['cpu', 'wall', 'heap', 'lock', 'tracing'] as const;
export type CollectorName = (typeof COLLECTOR_NAMES)[number];

/**
 * What runs when nothing says otherwise: every dimension. Span correlation ('tracing') is opt-in
 * (DD_PROFILING_PROFILERS=...,tracing, or DD_PROFILING_CODEHOTSPOTS_ENABLED=true): with a tracer
 * loaded it costs about 16-21 us of CPU per request (measured), too much to switch on unasked.
 */
export const DEFAULT_COLLECTORS: readonly CollectorName[] = ['cpu', 'wall', 'heap', 'lock'];

const NATIVE: readonly CollectorName[] = ['cpu', 'wall', 'heap'];

/**
 * The collectors named (DD_PROFILING_PROFILERS), in a fixed order. When the native addon cannot
 * load (an unsupported platform, a bundle that dropped it), the dimensions that need it are left
 * out with one clear message and the rest still run: the app is never stopped by its profiler.
 */
export function collectorsFor(names: readonly string[], logger: Logger): Collector[] {
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
    if (name === 'cpu') collectors.push(cpu());
    else if (name === 'wall') collectors.push(wall());
    else if (name === 'heap') collectors.push(heap());
    else if (name === 'lock') collectors.push(lock());
    else if (name === 'tracing') collectors.push(tracingCorrelation());
  }
  return collectors;
}

/** Why the native addon does not load, or undefined when it does. */
export function nativeAddonProblem(): string | undefined {
  if (process.env.VIGIL_TEST_BREAK_NATIVE_ADDON === '1') return 'VIGIL_TEST_BREAK_NATIVE_ADDON is set';
  try {
    // __filename is undefined when an app re-bundled our ESM build; then resolve as its main script would.
    createRequire(__filename ?? process.argv[1] ?? `${process.cwd()}/noop.js`)('@datadog/pprof');
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}
