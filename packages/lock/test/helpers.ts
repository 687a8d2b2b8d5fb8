import { Profiler, ProfileReader, sampleTypeIndex, type Exporter, type Logger, type Profile, type ProfileBatch } from '@vigil/core';
import { lock, type LockCollectorOptions } from '@vigil/lock';

/** An exporter test double that keeps every batch. */
export class RecordingExporter implements Exporter {
  readonly name = 'recording';
  readonly batches: ProfileBatch[] = [];
  async export(batch: ProfileBatch) {
    this.batches.push(batch);
    return { ok: true as const };
  }
  async shutdown() {}
  lockProfiles(): Profile[] {
    return this.batches.flatMap((b) => b.profiles.filter((p) => p.type === 'lock').map((p) => p.profile));
  }
}

export interface MemoryLogger extends Logger {
  lines: string[];
}

export function memoryLogger(): MemoryLogger {
  const lines: string[] = [];
  const log = (level: string) => (m: string) => lines.push(`${level}: ${m}`);
  return { lines, error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') };
}

/** Runs `workload` under a real Profiler with only the lock collector, and returns its lock profiles. */
export async function profileLocks<T>(
  workload: () => Promise<T>,
  options: LockCollectorOptions = {},
  environment: NodeJS.ProcessEnv = {},
): Promise<{ result: T; profiles: Profile[]; logger: MemoryLogger }> {
  const exporter = new RecordingExporter();
  const logger = memoryLogger();
  const profiler = new Profiler({
    service: 'lock-test',
    collectors: [lock({ instrument: false, ...options })],
    exporters: [exporter],
    logger,
    uploadPeriodMs: 60_000,
    environment,
  });
  profiler.start({ stopOnExit: false, profileChildren: false });
  try {
    const result = await workload();
    await profiler.stop({ flush: true });
    return { result, profiles: exporter.lockProfiles(), logger };
  } finally {
    await profiler.stop({ flush: false });
  }
}

export interface LockSampleView {
  stack: string[];
  labels: Record<string, string | number>;
  acquireCount: number;
  waitNs: number;
  releaseCount: number;
  holdNs: number;
}

/** Flattens lock profiles into readable samples. */
export function lockSamples(profiles: Profile[]): LockSampleView[] {
  const out: LockSampleView[] = [];
  for (const profile of profiles) {
    const reader = new ProfileReader(profile);
    const idx = ['lock-acquire', 'lock-acquire-wait', 'lock-release', 'lock-release-hold'].map((t) => sampleTypeIndex(profile, t));
    for (const sample of profile.sample) {
      out.push({
        stack: reader.stack(sample).map((f) => f.name),
        labels: reader.labels(sample),
        acquireCount: Number(sample.value[idx[0]!]),
        waitNs: Number(sample.value[idx[1]!]),
        releaseCount: Number(sample.value[idx[2]!]),
        holdNs: Number(sample.value[idx[3]!]),
      });
    }
  }
  return out;
}

export function sum(samples: LockSampleView[], pick: (s: LockSampleView) => number, filter: (s: LockSampleView) => boolean = () => true): number {
  return samples.filter(filter).reduce((acc, s) => acc + pick(s), 0);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
