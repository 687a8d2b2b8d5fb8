// What a sampling burst's start costs as the heap grows, and what the app sees of it.
//   node heap-walk.mjs walk            V8's profiler start (the native binding alone), at live
//                                      heaps of about 0, 40 and 160 MB: JSON {heapMB: [ms, ...]}
//   node heap-walk.mjs stalls OBJECTS SECONDS
//                                      a live heap of OBJECTS small objects, then the longest
//                                      event-loop stalls over SECONDS (a 5 ms timer's lateness):
//                                      JSON {heapMB, worstMs: [...]} (run it under the preload)
import { createRequire } from 'node:module';
import { nativeTimeSamplerOptions } from './native-sampler-options.mjs';

const OBJECTS_PER_MB = 6500; // { i, s: 'x' + i, a: [i] }: about 160 bytes each with the array and string

function grow(objects) {
  const keep = (globalThis.keep ??= []);
  for (let i = keep.length; i < objects; i++) keep.push({ i, s: 'x' + i, a: [i] });
}

function heapMB() {
  return Math.round(process.memoryUsage().heapUsed / (1024 * 1024));
}

const [mode, objectsArg, secondsArg] = process.argv.slice(2);
if (mode === 'walk') {
  const bindings = createRequire(createRequire(import.meta.url).resolve('@vigil/profiler/register'))('@datadog/pprof/out/src/time-profiler-bindings');
  const result = {};
  for (const mb of [0, 40, 160]) {
    grow(mb * OBJECTS_PER_MB);
    const times = [];
    for (let k = 0; k < 3; k++) {
      const profiler = new bindings.TimeProfiler(nativeTimeSamplerOptions(99, { vigil: true }));
      const t0 = performance.now();
      profiler.start();
      times.push(+(performance.now() - t0).toFixed(1));
      profiler.stop(false);
      profiler.dispose();
    }
    result[heapMB()] = times;
  }
  process.stdout.write(JSON.stringify(result));
} else if (mode === 'stalls') {
  grow(Number(objectsArg));
  const lateMs = [];
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    lateMs.push(now - last - 5);
    last = now;
  }, 5);
  setTimeout(() => {
    clearInterval(tick);
    lateMs.sort((a, b) => b - a);
    process.stdout.write(JSON.stringify({ heapMB: heapMB(), worstMs: lateMs.slice(0, 5).map((x) => Math.round(x)) }));
  }, Number(secondsArg) * 1000);
} else {
  throw new Error(`unknown mode ${mode}`);
}
