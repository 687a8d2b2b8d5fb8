// Cost of the `socket` I/O-wait kind per call, measured side by side: the same process runs rounds
// with wall({ ioWait: false }) and with wall({ ioWaitKinds: ['socket'] }) (both run the V8 sampler,
// so the difference is the socket instrumentation alone), interleaved, and prints the medians of
// the process's CPU time per call (less sensitive than wall time to other processes on a shared
// machine), next to an A/A pair (off against off) that shows the noise floor.
//   node --import tsx bench/socket-wait-cost.ts            (from packages/wall)
// Workloads: a 16-byte write to a socket nobody answers (the unsampled path of every write), a
// request/reply round trip on a raw TCP socket, and an ioredis GET on a real Redis server (the
// client's tracing channel is subscribed only while the kind is on).
import { once } from 'node:events';
import net from 'node:net';
import { Profiler } from '@vigil/core';
import { wall } from '@vigil/wall';
import { Redis } from 'ioredis';
import { startRedis } from '../test/real-servers';

/** CLIENT_CHANNELS=1 measures the kind with ioredis's tracing channel followed too. */
const CLIENT_CHANNELS = process.env.CLIENT_CHANNELS === '1';
const ROUNDS = Number(process.env.ROUNDS ?? 9);

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}
const WRITES = 200_000;
const EXCHANGES = 20_000;
const COMMANDS = 20_000;

async function main(): Promise<void> {
  const sink = net.createServer((connection) => connection.resume());
  const echo = net.createServer((connection) => connection.on('data', (data) => connection.write(data)));
  await Promise.all([sink, echo].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const redisServer = await startRedis();
  const redis = new Redis({ host: '127.0.0.1', port: redisServer.port, lazyConnect: true });
  await redis.connect();
  await redis.set('vigil:bench', 'value');

  const connectTo = async (server: net.Server) => {
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    socket.on('data', () => undefined);
    return socket;
  };
  const payload = Buffer.alloc(16);

  const workloads: Record<string, () => Promise<number>> = {
    'socket.write, ns CPU/call': async () => {
      const socket = await connectTo(sink);
      const t0 = cpuMicros();
      for (let i = 0; i < WRITES; i++) {
        socket.write(payload);
        if (socket.writableNeedDrain) await once(socket, 'drain');
      }
      const ns = ((cpuMicros() - t0) * 1e3) / WRITES;
      socket.destroy();
      return ns;
    },
    'raw request/reply, us CPU/exchange': async () => {
      const socket = await connectTo(echo);
      const t0 = cpuMicros();
      for (let i = 0; i < EXCHANGES; i++) {
        const reply = once(socket, 'data');
        socket.write(payload);
        await reply;
      }
      const us = (cpuMicros() - t0) / EXCHANGES;
      socket.destroy();
      return us;
    },
    'ioredis GET, us CPU/command': async () => {
      const t0 = cpuMicros();
      for (let i = 0; i < COMMANDS; i++) await redis.get('vigil:bench');
      return (cpuMicros() - t0) / COMMANDS;
    },
  };

  const results: Record<string, { off: number[]; off2: number[]; on: number[] }> = {};
  const orders = [['off', 'on', 'off2'], ['on', 'off2', 'off'], ['off2', 'off', 'on']] as const;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of orders[round % orders.length]!) {
      const profiler = new Profiler({
        collectors: [mode === 'on' ? wall({ ioWaitKinds: ['socket'], ioWaitClientChannels: CLIENT_CHANNELS }) : wall({ ioWait: false })],
        exporters: [],
        logger: 'silent',
        environment: {},
      });
      profiler.start({ stopOnExit: false, profileChildren: false });
      for (const [name, run] of Object.entries(workloads)) {
        results[name] ??= { off: [], off2: [], on: [] };
        results[name]![mode].push(await run());
      }
      await profiler.stop({ flush: false });
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`socket I/O-wait cost${CLIENT_CHANNELS ? ' with client channels' : ''}, ${ROUNDS} interleaved rounds, medians (Node ${process.version}):`);
  const pct = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(1)} %`;
  for (const [name, { off, off2, on }] of Object.entries(results)) {
    const a = median(off);
    const b = median(on);
    console.log(`  ${name.padEnd(36)} off ${a.toFixed(2).padStart(9)}  on ${b.toFixed(2).padStart(9)}  on-off ${(b - a).toFixed(2).padStart(8)} (${pct(a, b)}); A/A off2-off ${pct(a, median(off2))}`);
  }
  await redis.quit();
  await redisServer.stop();
  sink.close();
  echo.close();
}

void main();
