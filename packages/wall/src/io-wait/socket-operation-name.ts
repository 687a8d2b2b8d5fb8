import type net from 'node:net';

/** Protocols commonly spoken on their registered ports, to name a socket wait by what it is for. */
const WELL_KNOWN_PORTS: Readonly<Record<number, string>> = {
  5432: 'postgresql',
  3306: 'mysql',
  6379: 'redis',
  6380: 'redis',
  11211: 'memcached',
  27017: 'mongodb',
  9042: 'cassandra',
  5672: 'amqp',
  4222: 'nats',
  9092: 'kafka',
  2181: 'zookeeper',
  8125: 'statsd',
};

/** Packages on a writing stack that pass calls through (tracers, context managers, Vigil), never the client. */
const PASS_THROUGH_PACKAGE = /^(?:@opentelemetry\/|@datadog\/|dd-trace$|@vigil\/)/;

const PACKAGE_IN_PATH = /[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/](?!.*[\\/]node_modules[\\/])/;

/**
 * The operation of waits on `socket`: `<client> <host>:<port>`, where the client is the npm
 * package nearest to the write on `writerFiles` (the writing stack's files, leaf first: `pg`,
 * `ioredis`, `mysql2`), else the protocol of a well-known port, else `socket`; `<client> (ipc)` for
 * a Unix socket. One name per client and peer keeps the number of distinct operations as small as
 * the number of services the app talks to.
 */
export function socketOperationName(socket: net.Socket, writerFiles: readonly string[]): string {
  const port = socket.remotePort;
  let client: string | undefined;
  for (const file of writerFiles) {
    const match = PACKAGE_IN_PATH.exec(file);
    const name = match?.[1]!.replace('\\', '/');
    if (name !== undefined && !PASS_THROUGH_PACKAGE.test(name)) {
      client = name;
      break;
    }
  }
  // Written while still connecting (a one-shot request): the peer is not known yet.
  if (port === undefined && socket.connecting) return client ?? 'socket';
  if (port === undefined) return `${client ?? 'socket'} (ipc)`;
  const host = socket.remoteAddress ?? '?';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `${client ?? WELL_KNOWN_PORTS[port] ?? 'socket'} ${hostPart}:${port}`;
}
