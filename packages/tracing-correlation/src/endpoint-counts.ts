/** The bucket for endpoints past the per-period limit, so a route explosion cannot grow memory. */
export const OTHER_ENDPOINTS = '(other endpoints)';

/**
 * Local root spans that ended in the current period, per endpoint. Bounded: past
 * `maxEndpoints` distinct names, further ones are counted under `(other endpoints)`.
 */
export class EndpointCounter {
  private counts = new Map<string, number>();

  constructor(private readonly maxEndpoints: number) {}

  /** Counts one root span of `endpoint`. */
  add(endpoint: string): void {
    const key = this.counts.has(endpoint) || this.counts.size < this.maxEndpoints ? endpoint : OTHER_ENDPOINTS;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** The counts since the previous call, and a fresh start. */
  take(): Record<string, number> {
    const taken = Object.fromEntries(this.counts);
    this.counts = new Map();
    return taken;
  }
}
