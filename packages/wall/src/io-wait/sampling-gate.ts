/**
 * Decides which operations of one kind get measured: about `targetPerSecond` of them, whatever the
 * rate of operations. It samples 1 in N, with a random gap (mean N) between samples so periodic
 * workloads do not alias with it. Samples spend tokens of a bucket refilled at `targetPerSecond`;
 * when it runs dry N doubles at once, so a burst, or the first second of a busy process, costs a
 * handful of stack captures, not thousands. Every second N is re-estimated from the observed
 * rate. Each sampled operation carries the weight N of the gap it was drawn from, which makes
 * weighted totals unbiased estimates. The unsampled path is one increment, one decrement and one
 * comparison.
 */
export class SamplingGate {
  private countdown = 1;
  private every = 1;
  private weightOfNext = 1;
  private operations = 0;
  private windowStartMs: number;
  private tokens: number;
  private lastRefillMs: number;
  private readonly burst: number;

  /** `nowMs` is the clock (replaceable in tests). */
  constructor(private readonly targetPerSecond: number, private readonly nowMs: () => number = Date.now) {
    this.burst = Math.max(1, targetPerSecond / 2);
    this.tokens = this.burst;
    this.windowStartMs = nowMs();
    this.lastRefillMs = this.windowStartMs;
  }

  /** The weight of this operation when it is sampled, else 0. */
  admit(): number {
    this.operations++;
    if (--this.countdown > 0) return 0;
    const weight = this.weightOfNext;
    // The clock is read on sampled operations only.
    const now = this.nowMs();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefillMs) * this.targetPerSecond) / 1000) - 1;
    this.lastRefillMs = now;
    if (this.tokens < 0) {
      this.every *= 2;
      this.tokens = 0;
    }
    this.drawGap();
    return weight;
  }

  /** Re-estimates N from the rate since the last call; called about once a second. */
  retune(nowMs: number = this.nowMs()): void {
    const elapsedSeconds = Math.max(0.001, (nowMs - this.windowStartMs) / 1000);
    const rate = this.operations / elapsedSeconds;
    const every = Math.max(1, Math.ceil(rate / this.targetPerSecond));
    if (every !== this.every) {
      this.every = every;
      // Do not make a quieter phase wait out a gap drawn for a much busier one.
      if (this.countdown > 2 * every) this.drawGap();
    }
    this.operations = 0;
    this.windowStartMs = nowMs;
  }

  /** Current N (1 = every operation is sampled). */
  get sampleEvery(): number {
    return this.every;
  }

  private drawGap(): void {
    this.countdown = this.every === 1 ? 1 : 1 + Math.floor(Math.random() * (2 * this.every - 1));
    this.weightOfNext = this.every;
  }
}
