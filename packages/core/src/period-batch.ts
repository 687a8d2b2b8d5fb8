import type { RuntimeInfo } from './runtime-info';
import type { CollectResult, NamedProfile, Period, ProfileBatch } from './types';

/** One period's results from every collector, as one batch for the exporters. */
export function makeBatch(period: Period, results: readonly CollectResult[], tags: Readonly<Record<string, string>>, runtime: RuntimeInfo): ProfileBatch {
  const profiles: NamedProfile[] = results.flatMap((r) => r.profiles);
  const endpointCounts: Record<string, number> = {};
  for (const r of results) {
    for (const [endpoint, count] of Object.entries(r.endpointCounts ?? {})) endpointCounts[endpoint] = (endpointCounts[endpoint] ?? 0) + count;
  }
  return { period, tags, profiles, endpointCounts, runtime };
}

/** Nothing to ship: no profiles and no endpoint counts (a period with only counts still matters). */
export function isEmpty(batch: ProfileBatch): boolean {
  return batch.profiles.length === 0 && Object.keys(batch.endpointCounts).length === 0;
}
