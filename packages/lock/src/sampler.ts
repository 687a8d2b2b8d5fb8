/**
 * Decides which lock events are captured. Like Python's profiler it is counter based (the fast
 * path only decrements an integer), but the distance to the next captured event is drawn from a
 * geometric distribution instead of being a fixed stride: every event then has the same independent
 * chance `capturePct / 100` of capture, so a workload whose acquisitions follow a regular pattern
 * (every tenth acquire comes from the same function) cannot alias with the sampler and bias the
 * estimate. Each captured event stands for `100 / capturePct` events, which makes scaled totals
 * unbiased estimates of the true totals.
 */
export class CaptureSampler {
  /** How many events each captured event stands for. */
  readonly weight: number;
  private readonly probability: number;
  private readonly logOneMinusP: number;
  private eventsUntilCapture: number;

  constructor(readonly capturePct: number, private readonly random: () => number = Math.random) {
    if (!(capturePct >= 0 && capturePct <= 100)) throw new RangeError(`capturePct must be in [0, 100], got ${capturePct}`);
    this.probability = capturePct / 100;
    this.weight = capturePct > 0 ? 100 / capturePct : 0;
    this.logOneMinusP = Math.log(1 - this.probability);
    this.eventsUntilCapture = this.nextStride();
  }

  /** True when the current event is to be captured. */
  capture(): boolean {
    if (--this.eventsUntilCapture > 0) return false;
    this.eventsUntilCapture = this.nextStride();
    return true;
  }

  /** Trials up to and including the next success: P(k) = (1-p)^(k-1) p, k >= 1. */
  private nextStride(): number {
    if (this.probability >= 1) return 1;
    if (this.probability <= 0) return Infinity;
    // 1 - random() is in (0, 1], so the log is finite and <= 0.
    return Math.floor(Math.log(1 - this.random()) / this.logOneMinusP) + 1;
  }
}
