/**
 * `@vigil/heap/leak-analysis`: leak-suspect analysis of heap profiles, without the heap collector.
 * It loads no native addon (@datadog/pprof), so readers of profiles (the viewer, `vigil leaks`)
 * can use it on machines where the addon is absent.
 */
export { findLeakSuspects, isProfilerFrame, siteTotals, suspectsFromSnapshots, describeLeakSuspect, DEFAULT_LEAK_MIN_PERIODS } from './leak-suspects';
export type { LeakSuspect, LeakSuspectOptions, SiteSnapshot, SiteTotal } from './leak-suspects';
