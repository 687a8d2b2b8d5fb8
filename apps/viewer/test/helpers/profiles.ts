import { encodeProfileSync, ProfileBuilder, type Frame, type Profile } from '@vigil/core';

export const XSS_NAME = '<img src=x onerror=alert(1)>';
export const HEAVY = 'crunchNumbersHeavy';
export const LIGHT = 'renderTemplateLight';

const frame = (name: string, line = 1): Frame => ({ name, file: '/app/server.js', line });

/**
 * A wall profile like @vigil/wall writes: sample/count + wall/nanoseconds, stacks under two
 * endpoints (`trace endpoint` label), a CPU-heavy function on GET /compute, and a function whose
 * name is an XSS payload. `heavyShare` of the time goes to the heavy function.
 */
export function wallProfile(startMs: number, options: { heavyNanos?: number; lightNanos?: number; xssNanos?: number } = {}): Profile {
  const { heavyNanos = 700_000_000, lightNanos = 200_000_000, xssNanos = 100_000_000 } = options;
  const b = new ProfileBuilder({
    sampleTypes: [['sample', 'count'], ['wall', 'nanoseconds']],
    periodType: ['wall', 'nanoseconds'],
    period: 10_101_010,
    timeNanos: BigInt(startMs) * 1_000_000n,
    durationNanos: 60_000_000_000n,
  });
  const period = 10_101_010;
  const add = (stack: Frame[], nanos: number, labels: Record<string, string | number>) => {
    if (nanos > 0) b.addSample(stack, [Math.max(1, Math.round(nanos / period)), nanos], labels);
  };
  add([frame(HEAVY, 10), frame('handleCompute', 5), frame('processRequest', 2), frame('(root)', 0)], heavyNanos, { 'trace endpoint': 'GET /compute', 'thread id': 1 });
  add([frame(LIGHT, 20), frame('handlePage', 15), frame('processRequest', 2), frame('(root)', 0)], lightNanos, { 'trace endpoint': 'GET /page', 'thread id': 1 });
  add([frame(XSS_NAME, 30), frame('handlePage', 15), frame('processRequest', 2), frame('(root)', 0)], xssNanos, { 'trace endpoint': 'GET /page', 'thread id': 1 });
  return b.build();
}

/** A heap profile where `leakyBytes` sit in `leakyAppend` and a steady 2 MiB elsewhere. */
export function spaceProfile(startMs: number, leakyBytes: number): Profile {
  const b = new ProfileBuilder({
    sampleTypes: [['inuse_objects', 'count'], ['inuse_space', 'bytes']],
    periodType: ['space', 'bytes'],
    period: 524288,
    timeNanos: BigInt(startMs) * 1_000_000n,
    durationNanos: 60_000_000_000n,
  });
  b.addSample([frame('leakyAppend', 40), frame('onRequest', 3)], [Math.round(leakyBytes / 1024), leakyBytes]);
  b.addSample([frame('steadyCache', 50), frame('onRequest', 3)], [2048, 2 * 1024 * 1024]);
  return b.build();
}

/** An events profile as dd-trace-js / @vigil/heap write it: timeline/nanoseconds, one sample per event. */
export function eventsProfile(startMs: number): Profile {
  const b = new ProfileBuilder({
    sampleTypes: [['timeline', 'nanoseconds']],
    timeNanos: BigInt(startMs) * 1_000_000n,
    durationNanos: 60_000_000_000n,
  });
  const end = (offsetMs: number) => (startMs + offsetMs) * 1_000_000;
  b.addSample([frame('')], [12_000_000], { event: 'gc', 'gc type': 'mark_sweep_compact', 'gc reason': 'allocation failure', end_timestamp_ns: end(1000) });
  b.addSample([frame('')], [2_000_000], { event: 'gc', 'gc type': 'scavenge', end_timestamp_ns: end(2000) });
  b.addSample([frame('')], [45_000_000], { event: 'fs', operation: 'readFile', end_timestamp_ns: end(3000) });
  b.addSample([frame('')], [30_000_000], { event: 'dns', operation: 'lookup', host: 'example.com', end_timestamp_ns: end(4000) });
  return b.build();
}

export const gz = (profile: Profile): Buffer => encodeProfileSync(profile);
export const raw = (profile: Profile): Buffer => Buffer.from(profile.encode());
