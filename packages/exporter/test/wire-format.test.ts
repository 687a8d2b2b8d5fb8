import busboy from 'busboy';
import { Readable } from 'node:stream';
import { backoffDelayMs, buildMultipart, DEFAULT_RETRY_POLICY, parseRetryAfterMs } from '@vigil/exporter';

function parse(body: Buffer, contentType: string): Promise<Array<{ name: string; filename?: string; data: Buffer }>> {
  return new Promise((resolve, reject) => {
    const parts: Array<{ name: string; filename?: string; data: Buffer }> = [];
    const parser = busboy({ headers: { 'content-type': contentType } });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      const entry = { name, filename: info.filename, data: Buffer.alloc(0) };
      parts.push(entry);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => (entry.data = Buffer.concat(chunks)));
    });
    parser.on('field', (name, value) => parts.push({ name, data: Buffer.from(value) }));
    parser.on('close', () => resolve(parts));
    parser.on('error', reject);
    Readable.from([body]).pipe(parser);
  });
}

describe('multipart bodies', () => {
  test('binary data full of CRLF and dashes survives byte for byte; names with quotes are escaped', async () => {
    const nasty = Buffer.concat([Buffer.from('\r\n--\r\n----vigil\r\n--'), Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256))]);
    const { body, contentType } = buildMultipart([
      { name: 'event', filename: 'event.json', contentType: 'application/json', data: '{"a":1}' },
      { name: 'we"ird', filename: 'a"b.pprof', data: nasty },
      { name: 'plain', data: 'value' },
    ]);
    const parts = await parse(body, contentType);
    expect(parts.map((p) => p.name)).toEqual(['event', 'we%22ird', 'plain']);
    expect(parts[1]!.filename).toBe('a%22b.pprof');
    expect(parts[1]!.data.equals(nasty)).toBe(true);
    expect(parts[0]!.data.toString()).toBe('{"a":1}');
  });
});

describe('retry timing', () => {
  test('backoff doubles per attempt, stays within [half, full] of the step (jitter) and under the ceiling', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, initialBackoffMs: 100, maxBackoffMs: 1000 };
    for (const [attempt, step] of [[1, 100], [2, 200], [3, 400], [4, 800], [5, 1000], [9, 1000]] as const) {
      expect(backoffDelayMs(policy, attempt, undefined, () => 0)).toBe(step / 2);
      expect(backoffDelayMs(policy, attempt, undefined, () => 0.999999)).toBeCloseTo(step, 0);
    }
    // Different processes get different waits.
    const waits = new Set(Array.from({ length: 20 }, () => Math.round(backoffDelayMs(policy, 3))));
    expect(waits.size).toBeGreaterThan(5);
    // Retry-After wins when longer.
    expect(backoffDelayMs(policy, 1, 5000)).toBe(5000);
  });

  test('Retry-After in seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 10, 25, 12, 0, 0);
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs(new Date(now + 7000).toUTCString(), now)).toBe(7000);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });
});
