// The demo's endpoints, each with one known hotspot of its own kind. Function names are what the
// profiles must show; keep them distinct and do not inline them away.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { Mutex } from '@vigil/lock';

/** CPU: trial division, burns a predictable amount of CPU per call. */
export function computePrimes(limit: number): number {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/** Allocations: many short-lived objects and strings, then a digest of them. */
export function buildReport(rows: number): string {
  const records = [];
  for (let i = 0; i < rows; i++) records.push({ id: i, name: `item-${i}`, tags: [`t${i % 7}`, `g${i % 13}`], price: i * 1.5 });
  return createHash('sha1').update(JSON.stringify(records)).digest('hex');
}

const sessions: number[][] = [];
/**
 * A slow leak: every call keeps about 64 KiB of JS heap forever. (A Buffer would not do: its
 * bytes live outside the JS heap, where the heap profiler sees only `(external)`.)
 */
export function rememberSession(): number {
  sessions.push(new Array<number>(8 * 1024).fill(sessions.length + 0.5));
  return sessions.length;
}

/** I/O wait: asks a slow backend over TCP and waits for its answer. */
export function readSlowBackend(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (data += d));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.end('GET\n');
  });
}

const inventoryLock = new Mutex({ name: 'inventoryLock' });
let stock = 1_000_000;
/** Lock contention: every request updates the inventory under one mutex, holding it ~4 ms. */
export async function updateInventory(): Promise<number> {
  return inventoryLock.runExclusive(async () => {
    await new Promise((r) => setTimeout(r, 4));
    return --stock;
  });
}

/** The cheap endpoint's work. */
export function sayHello(): string {
  return 'hello';
}
