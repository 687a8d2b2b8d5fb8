// Load generator for the on/off windows of the HTTP service: CONNECTIONS keep-alive requests in a
// loop against the port in argv, until its parent closes stdin. Runs unprofiled, in its own process,
// so the measured process's CPU is the service's alone.
import { Agent, request } from 'node:http';

const port = Number(process.argv[2]);
const connections = Number(process.argv[3] ?? 32);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
let stopped = false;
process.stdin.on('close', () => { stopped = true; agent.destroy(); });
process.stdin.resume();

function loop(page) {
  if (stopped) return;
  const req = request({ host: '127.0.0.1', port, path: `/items?page=${page}`, agent }, (res) => {
    res.resume();
    res.on('end', () => loop((page + 1) % 25));
  });
  req.on('error', () => { if (!stopped) setTimeout(() => loop(page), 10); });
  req.end();
}
for (let i = 0; i < connections; i++) loop(i % 25);
