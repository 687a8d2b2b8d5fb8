import { once } from 'node:events';
import net from 'node:net';
import { Profiler, ProfileReader } from '@vigil/core';
import { wall } from '@vigil/wall';
import { goPprofTop, hasGo, profilesOf, runFixture, type FixtureRun } from './helpers';
import { startPostgres, startRedis, type RunningServer } from './real-servers';

/** io-wait milliseconds of the `socket` kind, by the first of `issuers` on each sample's stack, and by operation. */
function socketWaits(run: FixtureRun, issuers: string[]): { byIssuer: Record<string, number>; byOperation: Record<string, number>; count: number } {
  const byIssuer: Record<string, number> = {};
  const byOperation: Record<string, number> = {};
  let count = 0;
  for (const { profile } of profilesOf(run.dir, 'io-wait')) {
    const reader = new ProfileReader(profile);
    const units = profile.sampleType.map((t) => profile.stringTable.strings[Number(t.unit)]);
    const nanos = units.indexOf('nanoseconds');
    const counts = units.indexOf('count');
    for (const sample of profile.sample) {
      const labels = reader.labels(sample);
      if (labels['io kind'] !== 'socket') continue;
      const names = reader.stack(sample).map((f) => f.name);
      const issuer = names.find((n) => issuers.includes(n)) ?? '(other)';
      const ms = Number(sample.value[nanos]) / 1e6;
      byIssuer[issuer] = (byIssuer[issuer] ?? 0) + ms;
      const operation = String(labels['io operation']);
      byOperation[operation] = (byOperation[operation] ?? 0) + ms;
      count += Number(sample.value[counts]);
    }
  }
  return { byIssuer, byOperation, count };
}

const within15Percent = (measured: number | undefined, expected: number) => expect(Math.abs((measured ?? 0) / expected - 1)).toBeLessThanOrEqual(0.15);
// A budget above these workloads' request rates, so every request is measured: this file tests
// boundaries and attribution; the sampling estimates are the same gate as every kind's.
const EVERY_REQUEST = { VIGIL_IO_WAIT_SAMPLES_PER_SECOND: '1000' };

describe('I/O wait on open client sockets', () => {
  it('never starts a socket nobody reads, and takes its wrapper off on stop', async () => {
    const server = net.createServer((connection) => connection.on('data', () => connection.end('reply')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const profiler = new Profiler({ collectors: [wall({ ioWaitKinds: ['socket'] })], exporters: [], logger: 'silent', environment: {} });
    profiler.start({ stopOnExit: false, profileChildren: false });
    try {
      expect(Object.prototype.hasOwnProperty.call(net.Socket.prototype, 'write')).toBe(true);
      const socket = net.connect((server.address() as { port: number }).port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write('request');
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Written before anyone read it: the reply is still buffered, not lost to a listener of ours.
      expect(socket.readableFlowing).toBe(null);
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      await once(socket, 'end');
      expect(Buffer.concat(chunks).toString()).toBe('reply');
      socket.destroy();
    } finally {
      await profiler.stop({ flush: false });
      server.close();
    }
    expect(Object.prototype.hasOwnProperty.call(net.Socket.prototype, 'write')).toBe(false);
  });

  it('gives a request/reply exchange on an open TCP socket to the function that awaited the reply', async () => {
    const run = await runFixture('socket-waits.ts', ['raw'], EVERY_REQUEST);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const truth = JSON.parse(run.stdout.trim()) as { awaitedMs: number };
    const waits = socketWaits(run, ['askServer', 'fetchPage', 'getPage']);
    console.log({ truth, waits });
    within15Percent(waits.byIssuer.askServer, truth.awaitedMs);
    expect(waits.count).toBe(60);
    expect(Object.keys(waits.byIssuer)).toEqual(['askServer']);
    // ... while the http kind did see them: no wait is lost, none counted twice.
    const httpIssuers = new Set<string>();
    for (const { profile } of profilesOf(run.dir, 'io-wait')) {
      const reader = new ProfileReader(profile);
      for (const sample of profile.sample) {
        if (reader.labels(sample)['io kind'] !== 'http') continue;
        for (const frame of reader.stack(sample)) if (frame.name === 'fetchPage' || frame.name === 'getPage') httpIssuers.add(frame.name);
      }
    }
    expect([...httpIssuers].sort()).toEqual(['fetchPage', 'getPage']);
    // Only the client's socket: the server's replies (written on its accepted sockets) are not waits.
    expect(Object.keys(waits.byOperation)).toEqual([expect.stringMatching(/^socket 127\.0\.0\.1:\d+$/)]);
  });

  it('gives a one-shot request sent with end(request) to the function that awaited the reply', async () => {
    const run = await runFixture('socket-waits.ts', ['one-shot'], EVERY_REQUEST);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const truth = JSON.parse(run.stdout.trim()) as { awaitedMs: number };
    const waits = socketWaits(run, ['askOnce']);
    // The wait starts at end(request), before the connection is up: the connect is inside it.
    within15Percent(waits.byIssuer.askOnce, truth.awaitedMs);
    expect(waits.count).toBe(30);
    // Written while connecting, the peer is not known yet: named as a socket, never as IPC.
    expect(Object.keys(waits.byOperation)).toEqual(['socket']);
  });

  it('records nothing of the kind when it is turned off', async () => {
    const run = await runFixture('socket-waits.ts', ['raw'], { ...EVERY_REQUEST, VIGIL_IO_WAIT_KINDS: 'fs,dns,net,http,timer' });
    expect(run.code).toBe(0);
    expect(socketWaits(run, ['askServer']).count).toBe(0);
  });

  describe('against a real PostgreSQL server and the pg client', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startPostgres();
    }, 120_000);
    afterAll(async () => server?.stop(), 60_000);

    it('attributes SELECT pg_sleep(0.05) x 30 to the awaiting function within 15 %, named after the client', async () => {
      const run = await runFixture('socket-waits.ts', ['pg', String(server.port)], EVERY_REQUEST);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const truth = JSON.parse(run.stdout.trim()) as { awaitedMs: number };
      const waits = socketWaits(run, ['queryDatabase']);
      console.log({ truth, waits });
      within15Percent(waits.byIssuer.queryDatabase, truth.awaitedMs);
      expect(waits.byOperation[`pg 127.0.0.1:${server.port}`]).toBeGreaterThan(truth.awaitedMs * 0.85);
      if (hasGo()) {
        const top = goPprofTop(profilesOf(run.dir, 'io-wait')[0]!.file, 'io-wait');
        expect(top.status).toBe(0);
      }
    }, 120_000);
  });

  describe('against a real Redis server and the ioredis client', () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startRedis();
    }, 120_000);
    afterAll(async () => server?.stop(), 60_000);

    it('attributes BLPOP waits to the awaiting function within 15 %, and never counts a pipeline beyond its wall time', async () => {
      const run = await runFixture('socket-waits.ts', ['redis', String(server.port)], EVERY_REQUEST);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const truth = JSON.parse(run.stdout.trim()) as { awaitedMs: number; pipelineMs: number };
      const waits = socketWaits(run, ['popFromCache', 'pipelineToCache']);
      console.log({ truth, waits });
      within15Percent(waits.byIssuer.popFromCache, truth.awaitedMs);
      // 20 commands per pipeline: summing each command's own wait would give up to 20x the wall time.
      expect(waits.byIssuer.pipelineToCache ?? 0).toBeGreaterThan(0);
      expect(waits.byIssuer.pipelineToCache ?? 0).toBeLessThanOrEqual(truth.pipelineMs);
      expect(Object.keys(waits.byOperation)).toEqual([`ioredis 127.0.0.1:${server.port}`]);
    }, 120_000);

    it("names each command from ioredis's tracing channel when client channels are on, measuring each socket once", async () => {
      const run = await runFixture('socket-waits.ts', ['redis', String(server.port)], { ...EVERY_REQUEST, VIGIL_IO_WAIT_CLIENT_CHANNELS: 'true' });
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const truth = JSON.parse(run.stdout.trim()) as { awaitedMs: number; pipelineMs: number };
      const waits = socketWaits(run, ['popFromCache', 'pipelineToCache']);
      console.log({ truth, waits });
      within15Percent(waits.byOperation['redis BLPOP'], truth.awaitedMs);
      within15Percent(waits.byIssuer.popFromCache, truth.awaitedMs);
      expect(waits.byIssuer.pipelineToCache ?? 0).toBeGreaterThan(0);
      expect(waits.byIssuer.pipelineToCache ?? 0).toBeLessThanOrEqual(truth.pipelineMs);
      // Named by the channel, command by command; the socket is not measured a second time.
      expect(Object.keys(waits.byOperation)).toEqual(expect.arrayContaining(['redis BLPOP', 'redis INCR']));
      for (const operation of Object.keys(waits.byOperation)) expect(operation).toMatch(/^redis [A-Z]+$/);
      // One measured INCR per pipeline: the 19 written behind it are answered during its wait.
      expect(waits.count).toBeLessThan(30 + 20 * 2 + 5);
    }, 120_000);
  });
});
