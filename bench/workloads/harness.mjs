// Shared by every workload: parameters, a realistic live heap, the in-process peer
// (@pyroscope/nodejs has no preload), and the one result line the orchestrator reads.
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Parameters from the orchestrator (BENCH_PARAMS, JSON). */
export const params = JSON.parse(process.env.BENCH_PARAMS || '{}');

/** Work size multiplier: 1 in the full run, smaller in --quick. */
export const scale = Number(params.scale ?? 1);

/**
 * Tens of MB of live objects for the whole run. With a tiny heap, loading any library shifts
 * V8's GC sizing and makes profiled runs look cheaper than the baseline (measured here).
 */
export function holdRealisticHeap(megabytes = Number(params.ballastMB ?? 40)) {
  const chunks = [];
  const perChunk = 1 << 16;
  let bytes = 0;
  while (bytes < megabytes * 1024 * 1024) {
    const records = new Array(256);
    for (let i = 0; i < records.length; i++) records[i] = { id: i, name: `record-${i}-${bytes}`, tags: [i, i * 2, i * 3] };
    chunks.push(records);
    bytes += perChunk;
  }
  globalThis.__benchBallast = chunks;
  return chunks;
}

let pyroscope;

/** Starts the in-process peer when this run is a @pyroscope/nodejs row. */
export async function startInProcessPeer() {
  if (!process.env.BENCH_PYROSCOPE_URL) return;
  const mod = await import('@pyroscope/nodejs');
  pyroscope = mod.default ?? mod;
  pyroscope.init({
    serverAddress: process.env.BENCH_PYROSCOPE_URL,
    appName: process.env.BENCH_PYROSCOPE_APP || 'vigil-bench',
    flushIntervalMs: Number(process.env.BENCH_PERIOD_MS || 60_000),
    wall: params.pyroscopeCpuTime ? { collectCpuTime: true } : undefined,
  });
  pyroscope.start();
}

/** Stops the in-process peer: its flush timer would keep the process alive otherwise. */
export async function stopInProcessPeer() {
  if (pyroscope) await pyroscope.stop();
}

/** Starts measuring the work phase. */
export function startMeasure() {
  return { cpu: process.cpuUsage(), t: performance.now() };
}

/** Ends the work phase: CPU (user+system, all threads) and elapsed, in ms. */
export function endMeasure(start) {
  const cpu = process.cpuUsage(start.cpu);
  return { cpuMs: (cpu.user + cpu.system) / 1000, elapsedMs: performance.now() - start.t };
}

/** Writes the result line the orchestrator reads (synchronously, so it survives any exit path). */
export function report(result) {
  writeSync(1, `BENCH_RESULT ${JSON.stringify({ ...result, peakRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
}

// Peak RSS including the profilers' exit flush: the last word on memory.
process.on('exit', () => {
  try {
    writeSync(1, `BENCH_EXIT ${JSON.stringify({ peakRssMB: process.resourceUsage().maxRSS / 1024, totalCpuMs: (() => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; })() })}\n`);
  } catch {}
});

/** Runs a fixed-work workload: ballast, peer, the work, the result, the peer's stop. */
export async function runFixedWork(name, work) {
  holdRealisticHeap();
  await startInProcessPeer();
  const start = startMeasure();
  const extra = (await work()) ?? {};
  const measured = endMeasure(start);
  report({ workload: name, ...measured, ...extra });
  await stopInProcessPeer();
}
