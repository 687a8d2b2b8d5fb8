import { createRequire } from 'node:module';
import type { heap as PprofHeapModule } from '@datadog/pprof';

/** The heap half of @datadog/pprof: V8's sampling heap profiler and the out-of-memory callback. */
export type PprofHeap = typeof PprofHeapModule;

let loaded: PprofHeap | undefined;

/**
 * Loads @datadog/pprof (a native addon) on first use, never at import: importing this package
 * must not stop an app on a platform without a prebuilt binary, or in a bundle that dropped the
 * `.node` file. A load failure surfaces as an error from the collector's start, which core reports.
 */
export function pprofHeap(): PprofHeap {
  if (!loaded) {
    // __filename is undefined when an app re-bundled our ESM build; then resolve as its main script would.
    const requireHere = createRequire(__filename ?? process.argv[1] ?? `${process.cwd()}/noop.js`);
    // The heap half alone: the package's index also loads the time profiler, the source mapper and
    // its own preload check (14 ms of start-up against 7 ms, measured on Node 20).
    loaded = requireHere('@datadog/pprof/out/src/heap-profiler') as PprofHeap;
  }
  return loaded;
}
