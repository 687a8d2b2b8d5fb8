import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PROFILER_VERSION, runtimeInfo, sharedResources } from '@vigil/core';

test('the reported profiler version is the package version', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  expect(PROFILER_VERSION).toBe(pkg.version);
  expect(runtimeInfo()).toMatchObject({ pid: process.pid, threadId: 0, threadName: 'Main', nodeVersion: process.versions.node });
});

test.each([undefined, 'image-resizer'])('a worker thread (name %s) reports its own thread id and name', async (name) => {
  const worker = new Worker(
    `require('tsx/cjs/api').register(); const { runtimeInfo } = require(${JSON.stringify(join(__dirname, '..', 'src', 'runtime-info.ts'))});
     require('node:worker_threads').parentPort.postMessage(runtimeInfo());`,
    { eval: true, name },
  );
  const info = await new Promise<{ threadId: number; threadName: string }>((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
  expect(info.threadId).toBe(worker.threadId);
  // Node exposes the Worker's name to the thread from 22 on; before that a numbered name stands in.
  const namesVisible = Number(process.versions.node.split('.')[0]) >= 22;
  expect(info.threadName).toBe(name && namesVisible ? name : `Worker ${worker.threadId}`);
  await worker.terminate();
});

test('shared resources are created once, shared, and disposed by the last release', () => {
  let created = 0;
  let disposed = 0;
  const make = () => ({ id: ++created, dispose: () => void disposed++ });
  const a = sharedResources.acquire('test.sampler', make);
  const b = sharedResources.acquire('test.sampler', make);
  expect(a.value).toBe(b.value);
  a.release();
  a.release(); // a second release of the same lease changes nothing
  expect(disposed).toBe(0);
  b.release();
  expect(disposed).toBe(1);
  const c = sharedResources.acquire('test.sampler', make);
  expect(c.value.id).toBe(2);
  c.release();
});
