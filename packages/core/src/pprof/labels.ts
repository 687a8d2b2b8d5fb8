import { Label, type Profile } from 'pprof-format';

/**
 * Adds string labels to every sample of a profile in place (e.g. `thread id` on a worker's
 * profile). A label already on a sample keeps its own value.
 */
export function addLabels(profile: Profile, labels: Readonly<Record<string, string>>): Profile {
  const entries = Object.entries(labels).map(([k, v]) => [profile.stringTable.dedup(k), profile.stringTable.dedup(v)] as const);
  if (entries.length === 0) return profile;
  for (const sample of profile.sample) {
    const present = new Set(sample.label.map((l) => Number(l.key)));
    for (const [key, str] of entries) {
      if (!present.has(key)) sample.label.push(new Label({ key, str }));
    }
  }
  return profile;
}
