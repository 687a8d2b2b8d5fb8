// HTTP service under load. The load generator (autocannon) runs in the orchestrator, outside
// the measured process. Protocol on stdin/stdout: READY <port> -> BEGIN -> (load) -> END.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { writeSync } from 'node:fs';
import { endMeasure, holdRealisticHeap, report, startInProcessPeer, startMeasure, stopInProcessPeer } from './harness.mjs';

holdRealisticHeap();
await startInProcessPeer();

const catalog = Array.from({ length: 500 }, (_, i) => ({ id: i, name: `product ${i}`, price: (i * 37) % 1000, stock: i % 13 }));

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const page = Number(url.searchParams.get('page') || 0) % 25;
  const items = catalog.slice(page * 20, page * 20 + 20).map((p) => ({ ...p, etag: createHash('sha1').update(p.name).digest('hex') }));
  const body = JSON.stringify({ page, items });
  // A short wait as a downstream call would have, so the service is not purely CPU-bound.
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }, 1);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => writeSync(1, `READY ${server.address().port}\n`));

let start;
const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  if (line === 'BEGIN') {
    start = startMeasure();
    writeSync(1, 'BEGUN\n');
  } else if (line === 'END') {
    report({ workload: 'http', ...endMeasure(start) });
    lines.close();
    process.stdin.destroy();
    server.closeAllConnections?.();
    server.close();
    await stopInProcessPeer();
  }
});
