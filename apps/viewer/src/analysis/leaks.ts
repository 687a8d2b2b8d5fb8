import { findLeakSuspects, type LeakSuspect, type LeakSuspectOptions } from '@vigil/heap/leak-analysis';
import type { ProfileRef, ProfileStore } from '../store/profile-store';

export interface LeakGroup {
  /** The process the profiles came from (`runtime-id` or `process_id` tag), or `all`. */
  process: string;
  profileCount: number;
  suspects: LeakSuspect[];
  /**
   * When nothing is confirmed: sites that grew in every profile but with no full GC between the
   * profiles to prove the growth is retained (young processes, short runs). Shown apart, as "not
   * yet confirmed", so a short run still points at its likely leak without calling it one.
   */
  unconfirmed: LeakSuspect[];
}

/**
 * Leak suspects per process: heap (`space`) profiles with `inuse_space`, grouped by the process
 * that sent them (live bytes of different processes do not add up), analysed by
 * `@vigil/heap`'s findLeakSuspects. Groups with suspects come first.
 */
export async function leakSuspects(store: ProfileStore, refs: readonly ProfileRef[], options: LeakSuspectOptions): Promise<LeakGroup[]> {
  const heapRefs = refs.filter(({ profile }) => profile.sampleTypes.some(([t]) => t === 'inuse_space'));
  const byProcess = new Map<string, ProfileRef[]>();
  for (const ref of heapRefs) {
    const process = ref.upload.tags['runtime-id'] ?? ref.upload.tags.process_id ?? 'all';
    const group = byProcess.get(process) ?? [];
    group.push(ref);
    byProcess.set(process, group);
  }
  const groups: LeakGroup[] = [];
  for (const [process, group] of byProcess) {
    const profiles = [];
    for (const ref of group) {
      try {
        const profile = await store.load(ref);
        // findLeakSuspects orders by the profile's own clock; fill it from the upload when the sender left it out.
        if (BigInt(profile.timeNanos) === 0n) profile.timeNanos = BigInt(ref.upload.startMs) * 1_000_000n;
        if (BigInt(profile.durationNanos) === 0n) profile.durationNanos = BigInt(ref.upload.endMs - ref.upload.startMs) * 1_000_000n;
        profiles.push(profile);
      } catch {
        // deleted by retention meanwhile
      }
    }
    const suspects = findLeakSuspects(profiles, options);
    const unconfirmed = suspects.length === 0 && options.requireMajorGc !== false ? findLeakSuspects(profiles, { ...options, requireMajorGc: false }) : [];
    groups.push({ process, profileCount: profiles.length, suspects, unconfirmed });
  }
  return groups.sort((a, b) => b.suspects.length - a.suspects.length || b.profileCount - a.profileCount);
}
