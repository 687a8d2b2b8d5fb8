/** The first Node major whose V8 can report allocations (live and collected) from the sampling heap profiler. */
export const FIRST_NODE_WITH_ALLOCATIONS = 26;

/** True when this runtime can give `alloc_objects` / `alloc_space`. */
export function runtimeSupportsAllocations(nodeVersion: string = process.versions.node): boolean {
  const major = Number(nodeVersion.split('.')[0]);
  return Number.isFinite(major) && major >= FIRST_NODE_WITH_ALLOCATIONS;
}
