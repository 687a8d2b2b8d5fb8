import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { resolveSampleType, walkSamples } from './sample-walk';

/** Label names and their heaviest values among the selected samples (for the endpoint/thread filters). */
export async function labelValues(
  store: ProfileStore,
  refs: readonly ProfileRef[],
  requestedSampleType: string | null,
  maxValuesPerLabel = 50,
): Promise<{ sampleType: string; unit: string; labels: Record<string, { value: string; total: number }[]> }> {
  const resolved = resolveSampleType(refs, requestedSampleType);
  if (!resolved) return { sampleType: requestedSampleType ?? '', unit: '', labels: {} };
  const byLabel = new Map<string, Map<string, number>>();
  await walkSamples(store, refs, resolved.sampleType, {}, (_stack, value, labels) => {
    for (const [key, raw] of Object.entries(labels)) {
      if (key === 'end_timestamp_ns') continue;
      let values = byLabel.get(key);
      if (!values) byLabel.set(key, (values = new Map()));
      const text = String(raw);
      values.set(text, (values.get(text) ?? 0) + value);
    }
  });
  const out: Record<string, { value: string; total: number }[]> = Object.create(null);
  for (const [key, values] of [...byLabel].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[key] = [...values].map(([value, total]) => ({ value, total })).sort((a, b) => b.total - a.total).slice(0, maxValuesPerLabel);
  }
  return { ...resolved, labels: out };
}
