import { Function as PprofFunction, Label, Line, Location, Profile, Sample, StringTable, ValueType } from 'pprof-format';

/** One stack frame. */
export interface Frame {
  name: string;
  file?: string;
  /** 1-based line; 0 or undefined when unknown. */
  line?: number;
}

/** [type, unit], e.g. ['cpu', 'nanoseconds']. */
export type SampleTypeSpec = readonly [type: string, unit: string];

/** A label's value: text, or a number (bigint for values past 2^53, such as epoch nanoseconds). */
export type LabelValue = string | number | bigint;

export interface ProfileBuilderOptions {
  sampleTypes: readonly SampleTypeSpec[];
  periodType?: SampleTypeSpec;
  period?: number;
  timeNanos?: bigint | number;
  durationNanos?: bigint | number;
  defaultSampleType?: string;
  comments?: readonly string[];
}

/**
 * Builds a pprof Profile from stacks, values and labels, deduplicating strings, functions and
 * locations, and summing samples with the same stack and labels. Collectors that make their own
 * samples (lock, events, ...) use this instead of touching pprof ids.
 */
export class ProfileBuilder {
  private readonly strings = new StringTable();
  private readonly functions = new Map<string, PprofFunction>();
  private readonly locations = new Map<string, Location>();
  private readonly samples = new Map<string, Sample>();
  private readonly sampleTypeCount: number;

  constructor(private readonly options: ProfileBuilderOptions) {
    this.sampleTypeCount = options.sampleTypes.length;
  }

  /** Adds `values` (one per sample type) for a stack given leaf first. */
  addSample(stackLeafFirst: readonly Frame[], values: readonly number[], labels?: Readonly<Record<string, LabelValue>>): void {
    if (values.length !== this.sampleTypeCount) {
      throw new RangeError(`expected ${this.sampleTypeCount} values, got ${values.length}`);
    }
    const locationIds = stackLeafFirst.map((frame) => this.locationId(frame));
    const labelEntries = labels ? Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : [];
    const key = `${locationIds.join(',')}|${labelEntries.map(([k, v]) => `${k}=${typeof v}:${v}`).join('\u0000')}`;
    const existing = this.samples.get(key);
    if (existing) {
      for (let i = 0; i < values.length; i++) existing.value[i] = Number(existing.value[i]) + values[i]!;
      return;
    }
    this.samples.set(key, new Sample({
      locationId: locationIds,
      value: [...values],
      label: labelEntries.map(([k, v]) => typeof v !== 'string'
        ? new Label({ key: this.strings.dedup(k), num: v })
        : new Label({ key: this.strings.dedup(k), str: this.strings.dedup(v) })),
    }));
  }

  /** Number of distinct samples so far (for callers that cap memory). */
  get sampleCount(): number {
    return this.samples.size;
  }

  build(): Profile {
    const o = this.options;
    const vt = ([type, unit]: SampleTypeSpec) => new ValueType({ type: this.strings.dedup(type), unit: this.strings.dedup(unit) });
    return new Profile({
      sampleType: o.sampleTypes.map(vt),
      sample: [...this.samples.values()],
      location: [...this.locations.values()],
      function: [...this.functions.values()],
      stringTable: this.strings,
      timeNanos: o.timeNanos ?? 0,
      durationNanos: o.durationNanos ?? 0,
      periodType: o.periodType ? vt(o.periodType) : undefined,
      period: o.period ?? 0,
      comment: (o.comments ?? []).map((c) => this.strings.dedup(c)),
      defaultSampleType: o.defaultSampleType ? this.strings.dedup(o.defaultSampleType) : 0,
    });
  }

  private locationId(frame: Frame): number {
    const line = frame.line ?? 0;
    const key = `${frame.name}\u0000${frame.file ?? ''}\u0000${line}`;
    let location = this.locations.get(key);
    if (!location) {
      location = new Location({
        id: this.locations.size + 1,
        line: [new Line({ functionId: this.functionId(frame), line })],
      });
      this.locations.set(key, location);
    }
    return Number(location.id);
  }

  private functionId(frame: Frame): number {
    const key = `${frame.name}\u0000${frame.file ?? ''}`;
    let fn = this.functions.get(key);
    if (!fn) {
      const name = this.strings.dedup(frame.name);
      fn = new PprofFunction({ id: this.functions.size + 1, name, systemName: name, filename: this.strings.dedup(frame.file ?? '') });
      this.functions.set(key, fn);
    }
    return Number(fn.id);
  }
}
