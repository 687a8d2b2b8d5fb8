import { Function as PprofFunction, Label, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';

/** One input of `unionProfiles` with what to do with it. */
export interface UnionInput {
  readonly profile: Profile;
  /**
   * Inputs of the same `source` add up: their samples all count, also for a sample type they share
   * (a main thread's and a worker's wall profiles). Inputs of different sources that share a sample
   * type give it from the first source only (wall and cpu from one sampler both carry
   * `sample/count`). Default: each input is its own source.
   */
  readonly source?: string;
  /** Labels added to every sample of this input (a sample's own label of the same key wins). */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Combines profiles with different sample types into one whose sample types are the union, in
 * order of first appearance (Datadog's `wall.pprof` carries the wall and the cpu sample types
 * together). Each sample keeps its own values and gets zeros for the types its profile lacks. A
 * sample type present in inputs of several sources is taken from the first source only (e.g.
 * `sample/count` in both a wall and a cpu profile from one sampler would otherwise be counted
 * twice). The time window spans all inputs.
 *
 * Works by renumbering strings, functions and locations into one table, without rebuilding stacks,
 * so its cost is one pass over each input (see bench/). Inputs are not modified.
 */
export function unionProfiles(profiles: ReadonlyArray<Profile | UnionInput>): Profile {
  const steps = unionSteps(profiles.map(asInput));
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/** `unionProfiles` that yields to the event loop every few thousand samples, so the app never waits long. */
export async function unionProfilesAsync(profiles: ReadonlyArray<Profile | UnionInput>): Promise<Profile> {
  const steps = unionSteps(profiles.map(asInput));
  let step = steps.next();
  while (!step.done) {
    await new Promise((resolve) => setImmediate(resolve));
    step = steps.next();
  }
  return step.value;
}

const SAMPLES_PER_STEP = 2000;

function asInput(input: Profile | UnionInput, index: number): Required<UnionInput> {
  if (input instanceof Profile) return { profile: input, source: `#${index}`, labels: {} };
  return { profile: input.profile, source: input.source ?? `#${index}`, labels: input.labels ?? {} };
}

function* unionSteps(inputs: ReadonlyArray<Required<UnionInput>>): Generator<void, Profile, void> {
  if (inputs.length === 0) throw new RangeError('unionProfiles needs at least one profile');
  if (inputs.length === 1 && Object.keys(inputs[0]!.labels).length === 0) return inputs[0]!.profile;
  const profiles = inputs.map((i) => i.profile);
  const strings = new StringTable();
  const functionIds = new Map<string, number>();
  const locationIds = new Map<string, number>();
  const functions: PprofFunction[] = [];
  const locations: Location[] = [];
  const samples: Sample[] = [];

  const unionTypes: Array<{ type: string; unit: string }> = [];
  const typeIndex = new Map<string, { at: number; source: string }>();
  const targets: number[][] = [];
  for (const { profile: p, source } of inputs) {
    const s = p.stringTable.strings;
    targets.push(p.sampleType.map((vt) => {
      const type = s[Number(vt.type)] ?? '';
      const unit = s[Number(vt.unit)] ?? '';
      const key = `${type}/${unit}`;
      const known = typeIndex.get(key);
      if (known) return known.source === source ? known.at : -1;
      typeIndex.set(key, { at: unionTypes.length, source });
      unionTypes.push({ type, unit });
      return unionTypes.length - 1;
    }));
  }

  for (let p = 0; p < profiles.length; p++) {
    const profile = profiles[p]!;
    yield;
    const source = profile.stringTable.strings;
    const stringMap = new Int32Array(source.length).fill(-1);
    const str = (index: unknown): number => {
      const i = Number(index);
      if (i <= 0 || i >= source.length) return 0;
      if (stringMap[i]! < 0) stringMap[i] = strings.dedup(source[i]!);
      return stringMap[i]!;
    };
    const fnMap = new Map<number, number>();
    for (const fn of profile.function) {
      const name = str(fn.name);
      const systemName = str(fn.systemName);
      const filename = str(fn.filename);
      const startLine = Number(fn.startLine);
      const key = `${name},${systemName},${filename},${startLine}`;
      let id = functionIds.get(key);
      if (id === undefined) {
        id = functions.length + 1;
        functionIds.set(key, id);
        functions.push(new PprofFunction({ id, name, systemName, filename, startLine }));
      }
      fnMap.set(Number(fn.id), id);
    }
    const locMap = new Map<number, number>();
    for (const loc of profile.location) {
      const lines = loc.line.map((l) => new Line({ functionId: fnMap.get(Number(l.functionId)) ?? 0, line: Number(l.line) }));
      const key = `${Number(loc.address)}|${lines.map((l) => `${l.functionId}:${l.line}`).join(',')}`;
      let id = locationIds.get(key);
      if (id === undefined) {
        id = locations.length + 1;
        locationIds.set(key, id);
        // Mappings are dropped: their ids would collide across inputs, and Node profiles have none.
        locations.push(new Location({ id, address: loc.address, line: lines, isFolded: loc.isFolded }));
      }
      locMap.set(Number(loc.id), id);
    }
    const target = targets[p]!;
    const extraLabels = Object.entries(inputs[p]!.labels).map(([k, v]) => [strings.dedup(k), strings.dedup(v)] as const);
    let sinceYield = 0;
    for (const sample of profile.sample) {
      if (++sinceYield >= SAMPLES_PER_STEP) {
        sinceYield = 0;
        yield;
      }
      const values = new Array<number>(unionTypes.length).fill(0);
      let any = false;
      for (let i = 0; i < sample.value.length; i++) {
        const at = target[i] ?? -1;
        if (at < 0) continue;
        const v = Number(sample.value[i]);
        values[at] = v;
        if (v !== 0) any = true;
      }
      if (!any) continue;
      const labels = sample.label.map((l) => new Label({ key: str(l.key), str: str(l.str), num: l.num, numUnit: str(l.numUnit) }));
      for (const [key, value] of extraLabels) {
        if (!labels.some((l) => Number(l.key) === key)) labels.push(new Label({ key, str: value }));
      }
      samples.push(new Sample({
        locationId: sample.locationId.map((id) => locMap.get(Number(id)) ?? 0),
        value: values,
        label: labels,
      }));
    }
  }

  const starts = profiles.map((p) => BigInt(p.timeNanos)).filter((t) => t > 0n);
  const ends = profiles.map((p) => BigInt(p.timeNanos) + BigInt(p.durationNanos)).filter((t) => t > 0n);
  const start = starts.length ? starts.reduce((a, b) => (a < b ? a : b)) : 0n;
  const end = ends.length ? ends.reduce((a, b) => (a > b ? a : b)) : 0n;
  const first = profiles[0]!;
  const firstStrings = first.stringTable.strings;
  const valueType = (t: { type: string; unit: string }) => new ValueType({ type: strings.dedup(t.type), unit: strings.dedup(t.unit) });
  return new Profile({
    sampleType: unionTypes.map(valueType),
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: start,
    durationNanos: end - start,
    periodType: first.periodType
      ? valueType({ type: firstStrings[Number(first.periodType.type)] ?? '', unit: firstStrings[Number(first.periodType.unit)] ?? '' })
      : undefined,
    period: first.period,
    defaultSampleType: Number(first.defaultSampleType) > 0 ? strings.dedup(firstStrings[Number(first.defaultSampleType)] ?? '') : 0,
  });
}
