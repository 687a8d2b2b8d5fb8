// The demo HTTP service. Run it under Vigil (`vigil run -- node service.js`); it prints
// `listening <port>` when ready. A tiny slow TCP backend on another port stands for a database.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { startTracing, inRequestSpan } from './tracing';
import { buildReport, computePrimes, readSlowBackend, rememberSession, sayHello, updateInventory } from './workloads';

startTracing();

/**
 * A backend that answers after 40-60 ms, like a slow query. Half-open: the client sends its request
 * and half-closes (`end('GET')`); without allowHalfOpen the server would close at once and the
 * client would never wait for the answer.
 */
const backend = createTcpServer({ allowHalfOpen: true }, (socket) => {
  socket.on('data', () => setTimeout(() => socket.end('row\n'), 40 + Math.random() * 20));
  socket.on('error', () => undefined);
});

const routes: Record<string, () => Promise<string>> = {
  '/cpu': async () => String(computePrimes(60_000)),
  '/alloc': async () => buildReport(4_000),
  '/leak': async () => String(rememberSession()),
  '/io': async () => readSlowBackend((backend.address() as AddressInfo).port),
  '/lock': async () => String(await updateInventory()),
  '/': async () => sayHello(),
};

const server = createHttpServer((req, res) => {
  const route = (req.url ?? '/').split('?')[0]!;
  const handler = routes[route];
  if (!handler) {
    res.writeHead(404).end('not found\n');
    return;
  }
  inRequestSpan(req.method ?? 'GET', route, () => handler()).then(
    (body) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${body}\n`),
    (error: Error) => res.writeHead(500).end(`${error.message}\n`),
  );
});

backend.listen(0, '127.0.0.1', () => {
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
});

// Graceful stop on SIGTERM: close, then let the loop drain so Vigil flushes on beforeExit.
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  backend.close();
});
