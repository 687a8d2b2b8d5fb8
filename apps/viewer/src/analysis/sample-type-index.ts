import type { SampleTypeSpec } from '@vigil/core';

const MEASURED_UNITS = new Set(['nanoseconds', 'bytes']);

/**
 * Index of `sampleType` among a profile's sample types. One name may come twice with two units
 * (Vigil's `io-wait/count` and `io-wait/nanoseconds`): the plain name means the one measured in
 * time or bytes, and `name/unit` picks one exactly.
 */
export function sampleTypeIndexIn(sampleTypes: readonly SampleTypeSpec[], sampleType: string): number {
  const slash = sampleType.lastIndexOf('/');
  if (slash > 0) {
    const exact = sampleTypes.findIndex(([t, u]) => t === sampleType.slice(0, slash) && u === sampleType.slice(slash + 1));
    if (exact >= 0) return exact;
  }
  let found = -1;
  sampleTypes.forEach(([type, unit], index) => {
    if (type === sampleType && (found < 0 || MEASURED_UNITS.has(unit))) found = index;
  });
  return found;
}
