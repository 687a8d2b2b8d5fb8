import { ProfileReader, sampleTypesOf, type Frame, type Profile } from '@vigil/core';
import { HttpError } from '../http/http-error';
import type { ProfileRef, ProfileStore } from '../store/profile-store';
import { profileWeights, type LevelAggregation } from './level-aggregation';
import { sampleTypeIndexIn } from './sample-type-index';

/** The sample type each profile type is best read by, as Datadog's UI opens them. */
const PREFERRED_SAMPLE_TYPES: Record<string, readonly string[]> = {
  wall: ['wall', 'cpu'],
  cpu: ['cpu', 'samples'],
  space: ['inuse_space', 'alloc_space', 'space'],
  heap: ['inuse_space', 'alloc_space'],
  lock: ['lock-acquire-wait', 'delay', 'contentions', 'lock-acquire'],
  events: ['timeline'],
};

/**
 * The sample type to show when the user picked none: the one Datadog shows for the profile type,
 * else the first with a time or byte unit, else the last (pprof's own default).
 */
export function defaultSampleType(refs: readonly ProfileRef[]): string | undefined {
  const available = new Map<string, string>();
  for (const { profile } of refs) for (const [type, unit] of profile.sampleTypes) available.set(type, unit);
  if (available.size === 0) return undefined;
  const profileType = refs[0]!.profile.type;
  for (const preferred of PREFERRED_SAMPLE_TYPES[profileType] ?? []) if (available.has(preferred)) return preferred;
  for (const [type, unit] of available) if (unit === 'nanoseconds' || unit === 'bytes') return type;
  return [...available.keys()].pop();
}

/** Unit of a sample type among the profiles ('' when unknown). */
export function unitOf(refs: readonly ProfileRef[], sampleType: string): string {
  for (const { profile } of refs) {
    const index = sampleTypeIndexIn(profile.sampleTypes, sampleType);
    if (index >= 0) return profile.sampleTypes[index]![1];
  }
  return '';
}

/** Resolves the requested sample type (or the default) and checks the profiles have it. */
export function resolveSampleType(refs: readonly ProfileRef[], requested: string | null): { sampleType: string; unit: string } | undefined {
  if (refs.length === 0) return undefined;
  const sampleType = requested || defaultSampleType(refs);
  if (!sampleType) return undefined;
  if (requested && !refs.some(({ profile }) => sampleTypeIndexIn(profile.sampleTypes, requested) >= 0)) {
    const known = [...new Set(refs.flatMap(({ profile }) => profile.sampleTypes.map(([t]) => t)))];
    throw new HttpError(400, `no selected profile has sample type ${JSON.stringify(requested)}; they have ${known.join(', ')}`);
  }
  return { sampleType, unit: unitOf(refs, sampleType) };
}

/** A frame with its identity (`name\0file`) computed once per location, not once per sample. */
export interface KeyedFrame extends Frame {
  key: string;
}

export type SampleVisitor = (stackLeafFirst: KeyedFrame[], value: number, labels: Record<string, string | number>, ref: ProfileRef) => void;

interface ProfileView {
  reader: ProfileReader;
  framesByLocation: Map<string, KeyedFrame[]>;
}

/** Per decoded profile (the store caches those), its reader and keyed frames, built on first use. */
const views = new WeakMap<Profile, ProfileView>();

function viewOf(profile: Profile): ProfileView {
  let view = views.get(profile);
  if (view) return view;
  const reader = new ProfileReader(profile);
  const framesByLocation = new Map<string, KeyedFrame[]>();
  for (const location of profile.location) {
    // A one-location stack through core's reader, so inlined frames resolve exactly as it does.
    const frames = reader.stack({ locationId: [location.id] } as unknown as Profile['sample'][number]);
    framesByLocation.set(String(location.id), frames.map((f) => ({ ...f, key: `${f.name}\u0000${f.file ?? ''}` })));
  }
  view = { reader, framesByLocation };
  views.set(profile, view);
  return view;
}

/** Matches a sample's labels against `label.<name>=<value>` filters (numbers compared as text). */
export function labelsMatch(labels: Record<string, string | number>, wanted: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(wanted)) {
    const actual = labels[key];
    if (actual === undefined || String(actual) !== value) return false;
  }
  return true;
}

/**
 * Calls `visit` for every non-zero sample of `sampleType` in the profiles whose labels pass the
 * filter. Levels (`inuse_*`) are weighted so that snapshots average (or only the latest counts)
 * instead of adding up; see {@link profileWeights}. Profiles removed by retention meanwhile are skipped.
 */
export async function walkSamples(
  store: ProfileStore,
  refs: readonly ProfileRef[],
  sampleType: string,
  labelFilter: Readonly<Record<string, string>>,
  visit: SampleVisitor,
  aggregation: LevelAggregation = 'mean',
): Promise<number> {
  let profilesRead = 0;
  const weights = profileWeights(refs, sampleType, aggregation);
  for (const ref of refs) {
    const weight = weights.get(ref) ?? 0;
    if (weight === 0) continue;
    let profile;
    try {
      profile = await store.load(ref);
    } catch {
      continue;
    }
    const index = sampleTypeIndexIn(sampleTypesOf(profile), sampleType);
    if (index < 0) continue;
    profilesRead++;
    const { reader, framesByLocation } = viewOf(profile);
    for (const sample of profile.sample) {
      const value = Number(sample.value[index] ?? 0) * weight;
      if (value === 0) continue;
      const labels = reader.labels(sample);
      if (!labelsMatch(labels, labelFilter)) continue;
      const stack: KeyedFrame[] = [];
      for (const id of sample.locationId) {
        const frames = framesByLocation.get(String(id));
        if (frames) for (const frame of frames) stack.push(frame);
      }
      visit(stack, value, labels, ref);
    }
  }
  return profilesRead;
}
