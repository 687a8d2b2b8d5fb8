import { ProfileBuilder, runtimeInfo, type NamedProfile, type Profile, type ProfileBatch } from '@vigil/core';

const periodStartMs = Date.UTC(2026, 10, 25, 18, 0, 0);
const periodEndMs = periodStartMs + 60_000;

const frames = {
  main: { name: 'main', file: '/app/index.js', line: 1 },
  hot: { name: 'hotLoop', file: '/app/hot.js', line: 10 },
  cold: { name: 'coldPath', file: '/app/cold.js', line: 20 },
};

function builder(sampleTypes: Array<[string, string]>, periodType?: [string, string], period = 0): ProfileBuilder {
  return new ProfileBuilder({
    sampleTypes,
    periodType,
    period,
    timeNanos: BigInt(periodStartMs) * 1_000_000n,
    durationNanos: 60_000_000_000n,
  });
}

export function wallProfile(): Profile {
  const b = builder([['sample', 'count'], ['wall', 'nanoseconds']], ['wall', 'nanoseconds'], 10_000_000);
  b.addSample([frames.hot, frames.main], [7, 70_000_000]);
  b.addSample([frames.cold, frames.main], [3, 30_000_000]);
  return b.build();
}

export function cpuProfile(): Profile {
  const b = builder([['sample', 'count'], ['cpu', 'nanoseconds']], ['cpu', 'nanoseconds'], 10_000_000);
  b.addSample([frames.hot, frames.main], [5, 50_000_000]);
  return b.build();
}

export function heapProfile(): Profile {
  const b = builder([['inuse_objects', 'count'], ['inuse_space', 'bytes']], ['space', 'bytes'], 524_288);
  b.addSample([frames.cold, frames.main], [4, 4096]);
  return b.build();
}

export function eventsProfile(): Profile {
  const b = builder([['timeline', 'nanoseconds']]);
  b.addSample([frames.main], [2_000_000], { event: 'gc', 'gc type': 'scavenge', end_timestamp_ns: periodStartMs * 1e6 + 5e9 });
  return b.build();
}

export function lockProfile(): Profile {
  const b = builder([['lock-acquire', 'count'], ['lock-acquire-wait', 'nanoseconds'], ['lock-release', 'count'], ['lock-release-hold', 'nanoseconds']]);
  b.addSample([frames.hot, frames.main], [2, 9_000_000, 2, 4_000_000], { 'lock name': 'hot.js:12:dbLock' });
  return b.build();
}

/** A batch like core's, with the given profiles. */
export function batchOf(profiles: NamedProfile[], overrides: Partial<ProfileBatch> = {}): ProfileBatch {
  const runtime = runtimeInfo();
  return {
    period: { seq: 3, startMs: periodStartMs, endMs: periodEndMs, final: false },
    tags: { service: 'web-service', env: 'production', version: '2.1.0', team: 'backend', 'runtime-id': runtime.runtimeId, process_id: String(runtime.pid) },
    profiles,
    endpointCounts: { 'GET /users': 12 },
    runtime,
    ...overrides,
  };
}

export function fullBatch(): ProfileBatch {
  return batchOf([
    { type: 'wall', profile: wallProfile() },
    { type: 'cpu', profile: cpuProfile() },
    { type: 'space', profile: heapProfile() },
    { type: 'events', profile: eventsProfile() },
    { type: 'lock', profile: lockProfile() },
  ]);
}

export const PERIOD = { startMs: periodStartMs, endMs: periodEndMs };
