import { currentSpanLabels, type Frame } from '@vigil/core';
import { formatLockName } from './lock-name';
import { CaptureSampler } from './sampler';
import { captureCallerSite, captureStack } from './stack-capture';

/**
 * The process-wide lock event recorder. Lock primitives (ours and the instrumented libraries)
 * call `beginAcquire` on every acquisition; it costs a property read and a counter decrement
 * unless a lock collector is running and the sampler picks the event, and only then is a stack
 * captured and time measured. State lives on globalThis so two installed copies of this package
 * (a hoisting accident) still feed the same collectors.
 */

/** Identity of one lock object: what it is and where it was created. */
export interface LockIdentity {
  readonly id: number;
  /** 'Mutex', 'Semaphore', 'RWLock', 'async-mutex Mutex', 'async-lock', 'navigator.locks', ... */
  readonly kind: string;
  /** Where the lock was created (first user frame), when known. */
  readonly site?: Frame;
  /** A name the user gave the lock (or the Web Lock's name). */
  readonly givenName?: string;
  /** The `lock name` label, computed on first use. */
  label?: string;
}

/** One aggregated sample: a stack, its labels and the four values before scaling. */
export interface LockSampleAggregate {
  readonly frames: Frame[];
  readonly labels: Record<string, string>;
  acquireCount: number;
  acquireWaitNs: number;
  releaseCount: number;
  releaseHoldNs: number;
}

/** What a collector registers to receive events. Kept structural so other copies of this package can feed it. */
export interface LockEventSink {
  record(key: string, frames: Frame[], labels: () => Record<string, string>, values: readonly [number, number, number, number]): void;
}

interface RecorderState {
  sinks: LockEventSink[];
  sampler: CaptureSampler;
  maxStackDepth: number;
  nextLockId: number;
}

const STATE_KEY = Symbol.for('vigil.lock.recorder.v1');

function state(): RecorderState {
  const holder = globalThis as unknown as Record<symbol, RecorderState | undefined>;
  let s = holder[STATE_KEY];
  if (!s) {
    s = { sinks: [], sampler: new CaptureSampler(0), maxStackDepth: 32, nextLockId: 1 };
    holder[STATE_KEY] = s;
  }
  return s;
}

const recorder = state();

/** Starts delivering events to `sink`, sampling at `capturePct`. Returns a function that stops it. */
export function attachSink(sink: LockEventSink, capturePct: number, maxStackDepth: number): () => void {
  if (recorder.sinks.length === 0) {
    recorder.sampler = new CaptureSampler(capturePct);
    recorder.maxStackDepth = maxStackDepth;
  }
  recorder.sinks = [...recorder.sinks, sink];
  return () => {
    recorder.sinks = recorder.sinks.filter((s) => s !== sink);
    if (recorder.sinks.length === 0) recorder.sampler = new CaptureSampler(0);
  };
}

/** The capture percentage in force (the first running collector's). */
export function activeCapturePct(): number {
  return recorder.sampler.capturePct;
}

/** True while at least one lock collector is running. */
export function recorderActive(): boolean {
  return recorder.sinks.length > 0;
}

/**
 * Creates the identity of a new lock, capturing its creation site. `skip` is the constructor (or
 * factory) so the site is the user's `new ...` line.
 */
export function createLockIdentity(kind: string, givenName?: string, skip?: Function): LockIdentity {
  return { id: recorder.nextLockId++, kind, site: captureCallerSite(skip), givenName };
}

/** An identity without a creation site, for locks the instrumentation met after they were made. */
export function identityWithoutSite(kind: string, givenName?: string): LockIdentity {
  return { id: recorder.nextLockId++, kind, givenName };
}

function nowNs(): number {
  return performance.now() * 1e6;
}

/** How a wait ended without the lock. */
export type AcquireFailure = 'timeout' | 'aborted' | 'canceled' | 'rejected' | 'unavailable';

/** A sampled acquisition, from the request through the grant to the release. */
export class SampledAcquire {
  private grantedAtNs = -1;
  private done = false;

  constructor(
    private readonly lock: LockIdentity,
    private readonly frames: Frame[],
    private readonly stackKey: string,
    private readonly weight: number,
    private readonly requestedAtNs: number,
    private readonly spanLabels: Readonly<Record<string, string>> | undefined,
    private readonly extraLabels: Readonly<Record<string, string>> | undefined,
  ) {}

  /** The lock was granted now. */
  granted(): void {
    if (this.grantedAtNs >= 0 || this.done) return;
    this.grantedAtNs = nowNs();
    this.emit(undefined, [this.weight, (this.grantedAtNs - this.requestedAtNs) * this.weight, 0, 0]);
  }

  /** The wait ended without the lock (timeout, abort, cancel). */
  failed(outcome: AcquireFailure): void {
    if (this.grantedAtNs >= 0 || this.done) return;
    this.done = true;
    this.emit(outcome, [this.weight, (nowNs() - this.requestedAtNs) * this.weight, 0, 0]);
  }

  /** The lock was released now. Only the first call counts. */
  released(): void {
    if (this.grantedAtNs < 0 || this.done) return;
    this.done = true;
    this.emit(undefined, [0, 0, this.weight, (nowNs() - this.grantedAtNs) * this.weight]);
  }

  private emit(outcome: AcquireFailure | undefined, values: [number, number, number, number]): void {
    const sinks = recorder.sinks;
    if (sinks.length === 0) return;
    let key = `${this.lock.id}|${this.stackKey}|${outcome ?? ''}`;
    if (this.extraLabels) for (const k in this.extraLabels) key += `|${this.extraLabels[k]}`;
    if (this.spanLabels) for (const k in this.spanLabels) key += `|${k}=${this.spanLabels[k]}`;
    const labels = (): Record<string, string> => {
      const out: Record<string, string> = { ...this.spanLabels, ...this.extraLabels, 'lock name': lockLabel(this.lock) };
      if (outcome) out['acquire outcome'] = outcome;
      return out;
    };
    for (const sink of sinks) {
      try {
        sink.record(key, this.frames, labels, values);
      } catch {
        // A sink must never break the application's lock.
      }
    }
  }
}

/** The `lock name` label of a lock, computed once. */
export function lockLabel(lock: LockIdentity): string {
  if (lock.label === undefined) {
    try {
      lock.label = formatLockName(lock.kind, lock.site, lock.givenName);
    } catch {
      lock.label = lock.kind;
    }
  }
  return lock.label;
}

/**
 * Called when something asks for `lock`. Returns a handle to report the grant, failure and release
 * when this event is sampled, else undefined (the fast path: no clock read, no stack).
 */
export function beginAcquire(lock: LockIdentity, extraLabels?: Readonly<Record<string, string>>): SampledAcquire | undefined {
  if (recorder.sinks.length === 0 || !recorder.sampler.capture()) return undefined;
  try {
    const stack = captureStack(recorder.maxStackDepth, beginAcquire);
    const spanLabels = currentSpanLabels();
    // The clock starts after our own work so the capture cost is not reported as lock wait.
    return new SampledAcquire(lock, stack.frames, stack.key, recorder.sampler.weight, nowNs(), spanLabels, extraLabels);
  } catch {
    return undefined;
  }
}
