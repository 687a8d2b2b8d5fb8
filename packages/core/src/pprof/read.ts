import type { Profile } from 'pprof-format';
import type { Frame, SampleTypeSpec } from './builder';

/** The string at `index` in the profile's string table. */
export function stringAt(profile: Profile, index: number | bigint): string {
  return profile.stringTable.strings[Number(index)] ?? '';
}

/** The profile's sample types as [type, unit] pairs. */
export function sampleTypesOf(profile: Profile): SampleTypeSpec[] {
  return profile.sampleType.map((t) => [stringAt(profile, t.type), stringAt(profile, t.unit)] as const);
}

/**
 * Index of the sample type named `type` (e.g. 'cpu'), or -1. A name listed twice with two units
 * (`io-wait/count` and `io-wait/nanoseconds`) means the one in nanoseconds or bytes: a time, not a count.
 */
export function sampleTypeIndex(profile: Profile, type: string): number {
  let found = -1;
  profile.sampleType.forEach((t, index) => {
    if (stringAt(profile, t.type) !== type) return;
    const unit = stringAt(profile, t.unit);
    if (found < 0 || unit === 'nanoseconds' || unit === 'bytes') found = index;
  });
  return found;
}

/** A reader that resolves sample stacks and labels to names, with lookups built once. */
export class ProfileReader {
  private readonly locationsById = new Map<string, Frame[]>();

  constructor(readonly profile: Profile) {
    const functions = new Map(profile.function.map((f) => [String(f.id), f]));
    for (const location of profile.location) {
      // A location may hold inlined frames: pprof lists them callee first, as we want.
      const frames = location.line.map((line) => {
        const fn = functions.get(String(line.functionId));
        return {
          name: fn ? stringAt(profile, fn.name) : '?',
          file: fn ? stringAt(profile, fn.filename) : '',
          line: Number(line.line),
        };
      });
      this.locationsById.set(String(location.id), frames);
    }
  }

  /** Frames of a sample, leaf first. */
  stack(sample: Profile['sample'][number]): Frame[] {
    return sample.locationId.flatMap((id) => this.locationsById.get(String(id)) ?? []);
  }

  /** String and numeric labels of a sample. */
  labels(sample: Profile['sample'][number]): Record<string, string | number> {
    const out: Record<string, string | number> = {};
    for (const label of sample.label) {
      const key = stringAt(this.profile, label.key);
      out[key] = Number(label.str) !== 0 ? stringAt(this.profile, label.str) : Number(label.num);
    }
    return out;
  }
}
