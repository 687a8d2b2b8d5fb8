import dns from 'node:dns';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { Profiler, type Exporter, type NamedProfile, ProfileReader } from '@vigil/core';
import { wall } from '@vigil/wall';

function recordingExporter(): Exporter & { profiles: NamedProfile[] } {
  const profiles: NamedProfile[] = [];
  return {
    name: 'recording',
    profiles,
    async export(batch) {
      profiles.push(...batch.profiles);
      return { ok: true };
    },
    async shutdown() {},
  };
}

const originals = { readFile: fs.readFile, promisesReadFile: fs.promises.readFile, setTimeout: globalThis.setTimeout, lookup: dns.lookup };

describe('I/O wait instrumentation', () => {
  it('leaves the behaviour of the functions it wraps unchanged, and restores them on stop', async () => {
    const profiler = new Profiler({ collectors: [wall()], exporters: [recordingExporter()], logger: 'silent', environment: {} });
    profiler.start({ stopOnExit: false, profileChildren: false });
    try {
      expect(fs.readFile).not.toBe(originals.readFile);
      expect(fs.readFile.name).toBe('readFile');
      const missing = '/definitely/not/here';
      await expect(new Promise((resolve, reject) => fs.readFile(missing, (e, d) => (e ? reject(e) : resolve(d))))).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(fs.promises.readFile(missing)).rejects.toMatchObject({ code: 'ENOENT' });
      // util.promisify keeps fs.read's custom result shape and setTimeout's custom promise.
      const fd = fs.openSync(__filename, 'r');
      const read = await promisify(fs.read)(fd, Buffer.alloc(16), 0, 16, 0);
      fs.closeSync(fd);
      expect(read).toMatchObject({ bytesRead: 16 });
      await expect(promisify(setTimeout)(5, 'value')).resolves.toBe('value');
      expect(typeof fs.realpath.native).toBe('function');
      const timer = setTimeout(() => undefined, 1);
      expect(typeof timer.unref).toBe('function');
      clearTimeout(timer);
      await expect(dns.promises.lookup('localhost')).resolves.toHaveProperty('address');
      // A synchronous throw (bad arguments) still throws synchronously.
      expect(() => fs.readFile(undefined as unknown as string, () => undefined)).toThrow(/"path" argument must be/);
    } finally {
      await profiler.stop({ flush: false });
    }
    expect(fs.readFile).toBe(originals.readFile);
    expect(fs.promises.readFile).toBe(originals.promisesReadFile);
    expect(globalThis.setTimeout).toBe(originals.setTimeout);
    expect(dns.lookup).toBe(originals.lookup);
  });

  it('patches nothing when I/O wait is off', async () => {
    const profiler = new Profiler({ collectors: [wall({ ioWait: false })], exporters: [recordingExporter()], logger: 'silent', environment: {} });
    profiler.start({ stopOnExit: false, profileChildren: false });
    try {
      expect(fs.readFile).toBe(originals.readFile);
      expect(globalThis.setTimeout).toBe(originals.setTimeout);
    } finally {
      await profiler.stop({ flush: false });
    }
  });

  it('samples frequent operations and still estimates their count and time without bias', async () => {
    const exporter = recordingExporter();
    const profiler = new Profiler({
      collectors: [wall({ ioWaitKinds: ['fs'], ioWaitSamplesPerSecond: 50 })],
      exporters: [exporter],
      logger: 'silent',
      environment: {},
    });
    profiler.start({ stopOnExit: false, profileChildren: false });
    let operations = 0;
    const startedMs = Date.now();
    async function statInALoop(): Promise<void> {
      while (Date.now() - startedMs < 3000) {
        await fs.promises.stat(__filename);
        operations++;
      }
    }
    await Promise.all([statInALoop(), statInALoop()]);
    await profiler.stop({ flush: true });
    let estimated = 0;
    let sampledStacks = 0;
    for (const { type, profile } of exporter.profiles) {
      if (type !== 'io-wait') continue;
      const reader = new ProfileReader(profile);
      for (const sample of profile.sample) {
        if (reader.stack(sample)[0]?.name !== 'fs.promises.stat') continue;
        expect(reader.stack(sample).some((f) => f.name === 'statInALoop')).toBe(true);
        estimated += Number(sample.value[0]);
        sampledStacks++;
      }
    }
    console.log({ operations, estimated });
    expect(operations).toBeGreaterThan(1000);
    expect(sampledStacks).toBeGreaterThan(0);
    expect(Math.abs(estimated / operations - 1)).toBeLessThan(0.25);
  });
});
