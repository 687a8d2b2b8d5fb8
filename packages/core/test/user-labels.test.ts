import { Profiler, currentSpanLabels, currentUserLabels, setMaxUserLabelValues, userLabelsDropped, withLabels, withUserLabels } from '@vigil/core';

describe('withLabels (no profiler running)', () => {
  it('carries labels into async continuations, nests, and leaves nothing outside', async () => {
    expect(currentUserLabels()).toBeUndefined();
    const seen = await withLabels({ tenant: 'acme', attempt: 2, beta: true }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const outer = { ...currentUserLabels() };
      const inner = await withLabels({ job: 'export', tenant: 'globex' }, async () => {
        await Promise.resolve();
        return { ...currentSpanLabels() };
      });
      return { outer, inner, after: { ...currentUserLabels() } };
    });
    expect(seen).toEqual({
      outer: { tenant: 'acme', attempt: '2', beta: 'true' },
      inner: { tenant: 'globex', attempt: '2', beta: 'true', job: 'export' },
      after: { tenant: 'acme', attempt: '2', beta: 'true' },
    });
    expect(currentUserLabels()).toBeUndefined();
    expect(withUserLabels(undefined)).toBeUndefined();
  });

  it("ignores the profiler's own label names and returns fn's value, throwing what fn throws", () => {
    expect(withLabels({ 'span id': '1', 'thread id': '9', tenant: 'a' }, () => ({ ...currentUserLabels() }))).toEqual({ tenant: 'a' });
    expect(() => withLabels({ tenant: 'a' }, () => { throw new Error('boom'); })).toThrow('boom');
  });

  it('bounds distinct values per label name, writing the rest (other) and counting them', () => {
    setMaxUserLabelValues(5);
    try {
      const before = userLabelsDropped();
      const values = Array.from({ length: 8 }, (_, i) => withLabels({ request: `r${i}` }, () => currentUserLabels()!.request));
      expect(values).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', '(other)', '(other)', '(other)']);
      // A value already admitted stays itself.
      expect(withLabels({ request: 'r1' }, () => currentUserLabels()!.request)).toBe('r1');
      expect(userLabelsDropped() - before).toBe(3);
      expect(new Profiler({ collectors: [], exporters: [], logger: 'silent', environment: {} }).stats().userLabelValuesDropped).toBe(userLabelsDropped());
    } finally {
      setMaxUserLabelValues(100);
    }
  });

  it('merges with span labels without computing lazy span values early', () => {
    let reads = 0;
    const lazySpan = new Proxy({} as Record<string, string>, {
      get: (_t, key) => (key === 'span id' ? (reads++, '42') : undefined),
      has: (_t, key) => key === 'span id',
      ownKeys: () => ['span id'],
      getOwnPropertyDescriptor: (_t, key) => (key === 'span id' ? { value: (reads++, '42'), enumerable: true, configurable: true } : undefined),
    });
    withLabels({ tenant: 'a' }, () => {
      const merged = withUserLabels(lazySpan)!;
      expect(withUserLabels(lazySpan)).toBe(merged); // one merge per scope and span
      expect(reads).toBe(0);
      expect({ ...merged }).toEqual({ tenant: 'a', 'span id': '42' });
    });
  });
});
