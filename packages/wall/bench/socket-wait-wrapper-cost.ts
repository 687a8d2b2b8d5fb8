// The `socket` kind's own cost on its unmeasured path, without the I/O around it (which on a shared
// machine drowns it: see socket-wait-cost.ts): the stream's real write is replaced in this process
// by a no-op, so a loop of `socket.write` (and of write + one reply chunk, a full request) on a
// real net.Socket read in flowing mode times only the wrapper and the reply listener.
//   node --import tsx bench/socket-wait-wrapper-cost.ts      (from packages/wall)
import net from 'node:net';
import { Duplex } from 'node:stream';
import { Profiler } from '@vigil/core';
import { wall } from '@vigil/wall';

(Duplex.prototype as unknown as { write: () => boolean }).write = function write() {
  return true;
};
const CALLS = 5_000_000;
const socket = new net.Socket();
socket.on('data', () => undefined);
const payload = Buffer.alloc(16);

function cpuNanosPerCall(loop: () => void): number {
  const start = process.cpuUsage();
  loop();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / CALLS;
}

function measure(into: Record<string, number[]>, mode: string): void {
  (into[`write, ${mode}`] ??= []).push(cpuNanosPerCall(() => { for (let i = 0; i < CALLS; i++) socket.write(payload); }));
  (into[`write + reply chunk, ${mode}`] ??= []).push(cpuNanosPerCall(() => {
    for (let i = 0; i < CALLS; i++) {
      socket.write(payload);
      socket.emit('data', payload);
    }
  }));
}

async function main(): Promise<void> {
  const results: Record<string, number[]> = {};
  for (let round = 0; round < 5; round++) {
    measure(results, 'off');
    const profiler = new Profiler({ collectors: [wall({ ioWaitKinds: ['socket'] })], exporters: [], logger: 'silent', environment: {} });
    profiler.start({ stopOnExit: false, profileChildren: false });
    measure(results, 'on');
    await profiler.stop({ flush: false });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`socket kind, unmeasured path, ns CPU per call, medians of 5 rounds (Node ${process.version}):`);
  for (const [name, values] of Object.entries(results)) console.log(`  ${name.padEnd(28)} ${median(values).toFixed(1).padStart(7)}`);
}

void main();
