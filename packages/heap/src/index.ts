export { heap, OUT_OF_MEMORY_COMMENT } from './heap-collector';
export type { HeapCollector } from './heap-collector';
export type { HeapOptions, OutOfMemoryOptions } from './options';
export {
  DEFAULT_LEAK_HISTORY_PERIODS, DEFAULT_LEAK_MIN_GROWTH_BYTES, DEFAULT_MAX_GC_EVENTS_PER_PERIOD,
  DEFAULT_SAMPLING_INTERVAL_BYTES, DEFAULT_STACK_DEPTH,
} from './options';
export { findLeakSuspects, isProfilerFrame, siteTotals, suspectsFromSnapshots, describeLeakSuspect } from './leak-suspects';
export type { LeakSuspect, LeakSuspectOptions, SiteSnapshot, SiteTotal } from './leak-suspects';
export { gcTimeShare, gcSummaryOf, GC_SUMMARY_COMMENT_PREFIX } from './gc-time-share';
export type { GcTimeShare } from './gc-time-share';
export { runtimeSupportsAllocations, FIRST_NODE_WITH_ALLOCATIONS } from './allocation-support';
export * from './sample-types';
