import { stat, readFile } from 'node:fs/promises';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Profiler, wall, heap, lock, cpu } from '@vigil/profiler';
const { Mutex } = createRequire(import.meta.url)('async-mutex');
const mutex = new Mutex();
const which = process.argv[2];
const silent = { name: 'null', export: async () => ({ ok: true }), shutdown: async () => undefined };
const p = which === 'none' ? undefined : new Profiler({ service: 'x', ...(which === 'defaults' ? {} : { collectors: [wall({ ioWait: true })] }), exporters: [silent], uploadPeriodMs: 60000, logger: 'warn' });
p?.start({ stopOnExit: false, profileChildren: false });
function unit(seed) { let d = String(seed); for (let i = 0; i < 8; i++) d = createHash('sha256').update(d).digest('hex'); const r = Array.from({ length: 60 }, (_, i) => ({ id: seed + i, name: `n${i}`, tags: [i, d.slice(0, 4)] })); const c = JSON.parse(JSON.stringify(r)); c.sort((a, b) => (a.name < b.name ? -1 : 1)); return c.length; }
const f = new URL(import.meta.url).pathname;
const end = Date.now() + 6000; let units = 0; const c0 = process.cpuUsage();
while (Date.now() < end) { for (let i = 0; i < 20; i++) units += unit(units) > 0 ? 1 : 0; await mutex.runExclusive(async () => { await Promise.all([stat(f), readFile(f), sleep(0)]); }); await yieldToLoop(); }
const c = process.cpuUsage(c0);
console.log(which, 'units', units, 'cpu us/unit', ((c.user + c.system) / units).toFixed(1));
await p?.stop();
