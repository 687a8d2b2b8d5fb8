import { Profiler } from '@vigil/core';
import { agentExporter, pyroscopeExporter } from '@vigil/exporter';
import { IntakeServer } from './helpers/intake-server';
import { fullBatch } from './helpers/profiles';
import { CountingCollector } from './helpers/test-collector';

const signal = () => new AbortController().signal;
const fastRetry = { initialBackoffMs: 50, maxBackoffMs: 200 };

describe('network exporters when the backend misbehaves', () => {
  let server: IntakeServer;
  let url: string;
  beforeEach(async () => {
    server = new IntakeServer();
    url = await server.listen();
  });
  afterEach(() => server.close());

  test('500s are retried with backoff until the server recovers; the batch lands once', async () => {
    server.behave = (i) => (i < 2 ? { kind: 'status', status: 500 } : { kind: 'status', status: 200 });
    const exporter = agentExporter({ url, env: {}, retry: fastRetry });
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    await exporter.shutdown();
    expect(server.received).toHaveLength(3);
    expect(server.accepted).toHaveLength(1);
    expect(exporter.stats).toMatchObject({ delivered: 1, failed: 0, attempts: 3 });
    // Backoff: the retries did not come back to back.
    expect(server.received[1]!.receivedAtMs - server.received[0]!.receivedAtMs).toBeGreaterThanOrEqual(20);
  });

  test('a server down for a while (time-based) gets the batch once it is back', async () => {
    const upAtMs = Date.now() + 800;
    server.behave = () => (Date.now() < upAtMs ? { kind: 'status', status: 503 } : { kind: 'status', status: 202 });
    const exporter = agentExporter({ url, env: {}, uploadTimeoutMs: 10_000, retry: { initialBackoffMs: 100, maxBackoffMs: 400, maxAttempts: 10 } });
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    await exporter.shutdown();
    expect(server.accepted).toHaveLength(1);
    expect(server.received.length).toBeGreaterThan(1);
    expect(server.accepted[0]!.receivedAtMs).toBeGreaterThanOrEqual(upAtMs);
  });

  test('429 is retried no sooner than Retry-After says', async () => {
    server.behave = (i) => (i === 0 ? { kind: 'status', status: 429, headers: { 'Retry-After': '1' } } : { kind: 'status', status: 200 });
    const exporter = agentExporter({ url, env: {}, retry: fastRetry });
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    await exporter.shutdown();
    expect(server.received).toHaveLength(2);
    expect(server.received[1]!.receivedAtMs - server.received[0]!.receivedAtMs).toBeGreaterThanOrEqual(950);
  });

  test('a Retry-After beyond the deadline gives up at once instead of waiting', async () => {
    server.behave = () => ({ kind: 'status', status: 429, headers: { 'Retry-After': '120' } });
    const exporter = agentExporter({ url, env: {}, uploadTimeoutMs: 5_000, retry: fastRetry });
    const started = Date.now();
    const result = await exporter.export(fullBatch(), signal());
    await exporter.shutdown();
    expect(result.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(!result.ok && result.error.message).toContain('asked to wait 120000 ms');
  });

  test('a request slower than the request timeout is abandoned and retried', async () => {
    server.behave = (i) => (i === 0 ? { kind: 'slow', delayMs: 5_000 } : { kind: 'status', status: 200 });
    const exporter = agentExporter({ url, env: {}, requestTimeoutMs: 300, uploadTimeoutMs: 4_000, retry: fastRetry });
    const started = Date.now();
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    const elapsed = Date.now() - started;
    await exporter.shutdown();
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_500);
    expect(server.accepted).toHaveLength(1);
    expect(server.received).toHaveLength(2);
  });

  test('reset connections are retried', async () => {
    server.behave = (i) => (i < 2 ? { kind: 'reset' } : { kind: 'status', status: 200 });
    const exporter = agentExporter({ url, env: {}, retry: fastRetry });
    expect(await exporter.export(fullBatch(), signal())).toEqual({ ok: true });
    await exporter.shutdown();
    expect(server.received).toHaveLength(3);
    expect(server.accepted).toHaveLength(1);
  });

  test('a server that never answers costs at most the upload budget', async () => {
    server.behave = () => ({ kind: 'silent' });
    const exporter = agentExporter({ url, env: {}, uploadTimeoutMs: 1_500, retry: fastRetry });
    const started = Date.now();
    const result = await exporter.export(fullBatch(), signal());
    const elapsed = Date.now() - started;
    await exporter.shutdown();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message).toMatch(/timed out/);
    expect(elapsed).toBeLessThan(2_500);
    // Request timeout defaults to a third of the budget, so there was room for retries.
    expect(server.received.length).toBeGreaterThanOrEqual(2);
  });

  test('nobody listening (connection refused) fails within the budget after bounded attempts', async () => {
    const port = server.port;
    await server.close();
    const exporter = pyroscopeExporter({ serverAddress: `http://127.0.0.1:${port}`, env: {}, uploadTimeoutMs: 3_000, retry: { ...fastRetry, maxAttempts: 4 } });
    const started = Date.now();
    const result = await exporter.export(fullBatch(), signal());
    await exporter.shutdown();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message).toMatch(/ECONNREFUSED/);
    expect(!result.ok && result.error.message).toMatch(/after 4 attempt/);
    expect(exporter.stats.attempts).toBe(4 * 4); // four profile types (events are not sent to Pyroscope), four attempts each
    expect(Date.now() - started).toBeLessThan(4_000);
    server = new IntakeServer();
    await server.listen();
  });

  test('4xx other than 408/429 is not retried', async () => {
    server.behave = () => ({ kind: 'status', status: 400, body: 'bad profile' });
    const exporter = agentExporter({ url, env: {}, retry: fastRetry });
    const result = await exporter.export(fullBatch(), signal());
    await exporter.shutdown();
    expect(server.received).toHaveLength(1);
    expect(!result.ok && result.error.message).toContain('HTTP 400: bad profile');
  });

  test("core's abort signal ends the upload promptly", async () => {
    server.behave = () => ({ kind: 'silent' });
    const exporter = agentExporter({ url, env: {}, uploadTimeoutMs: 30_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop() deadline passed')), 300);
    const started = Date.now();
    const result = await exporter.export(fullBatch(), controller.signal);
    await exporter.shutdown();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message).toContain('stop() deadline passed');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  test("profiler.stop() resolves within its bound while the backend never answers", async () => {
    server.behave = () => ({ kind: 'silent' });
    const collector = new CountingCollector('wall');
    const exporter = agentExporter({ url, env: {} });
    const profiler = new Profiler({ service: 'stopper', collectors: [collector], exporters: [exporter], uploadPeriodMs: 200, logger: 'silent' });
    profiler.start({ stopOnExit: false, profileChildren: false });
    collector.record('work', 5);
    await new Promise((r) => setTimeout(r, 450));
    const started = Date.now();
    await profiler.stop({ timeoutMs: 800 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1_300);
    expect(server.received.length).toBeGreaterThanOrEqual(1);
    expect(server.accepted).toHaveLength(0);
    expect(profiler.state).toBe('stopped');
  });
});
