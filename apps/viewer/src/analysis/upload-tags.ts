import type { ProfileRef } from '../store/profile-store';

/** Tags that name one process or one upload: too many values to compare by, and noise in a picker. */
const PER_PROCESS_TAGS = new Set(['runtime-id', 'process_id', 'profile_seq', 'pid']);

/**
 * The upload tags of a selection with their values, most profiles first, for "compare by tag"
 * (version, env, host, region...). Tags with a value per process and tags with a single value are left out.
 */
export function uploadTags(refs: readonly ProfileRef[], maxValuesPerTag = 50): Record<string, { value: string; profiles: number }[]> {
  const byTag = new Map<string, Map<string, number>>();
  for (const { upload } of refs) {
    for (const [name, value] of Object.entries(upload.tags)) {
      if (PER_PROCESS_TAGS.has(name)) continue;
      let values = byTag.get(name);
      if (!values) byTag.set(name, (values = new Map()));
      values.set(value, (values.get(value) ?? 0) + 1);
    }
  }
  const out: Record<string, { value: string; profiles: number }[]> = Object.create(null);
  for (const [name, values] of [...byTag].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (values.size < 2 || values.size > maxValuesPerTag * 4) continue;
    out[name] = [...values].map(([value, profiles]) => ({ value, profiles })).sort((a, b) => b.profiles - a.profiles).slice(0, maxValuesPerTag);
  }
  return out;
}
