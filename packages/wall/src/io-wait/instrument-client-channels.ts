import diagnosticsChannel from 'node:diagnostics_channel';
import type { IoWaitTracker, PendingWait } from './io-wait-tracker';
import type { Restore } from './patch';
import { takeOverLastWrittenSocket } from './instrument-sockets';

/** The tracing channels of database and cache clients that publish one (the client's own names). */
interface ClientChannel {
  /** Tracing channel name (`tracing:<name>:start`, ...). */
  readonly name: string;
  /** Operation of a request, from the channel's context object; undefined to leave it unmeasured. */
  readonly operationOf: (context: Record<string, unknown>) => string | undefined;
}

/** ioredis >= 5.9 publishes every written command (`context.command` is its name) on `ioredis:command`. */
const CLIENT_CHANNELS: readonly ClientChannel[] = [
  {
    name: 'ioredis:command',
    operationOf: (context) => (typeof context.command === 'string' ? `redis ${context.command.toUpperCase()}` : undefined),
  },
];

const PENDING = Symbol('vigil.io-wait.client-request');
type Context = Record<string | symbol, unknown> & { [PENDING]?: PendingWait };

/**
 * Requests of clients that publish a tracing channel, measured from the request's start (just
 * after its write) to the settlement of its reply, named by the client (`redis GET`). The socket
 * they write on is then left out of the generic socket measurement. At most one request per socket
 * is measured at a time, as there: in a pipeline, the first command measured stands for the
 * socket's wait, and the commands written behind it are not measured (their replies arrive
 * during that wait), so waits of one socket never overlap.
 */
export function instrumentClientChannels(tracker: IoWaitTracker): Restore[] {
  const restores: Restore[] = [];
  const busySockets = new WeakSet<object>();
  const socketOf = new WeakMap<PendingWait, object>();
  for (const channel of CLIENT_CHANNELS) {
    const handlers = {
      start: function onClientRequestStart(message: unknown) {
        try {
          const context = message as Context;
          const socket = takeOverLastWrittenSocket();
          if (!socket || busySockets.has(socket)) return;
          const operation = channel.operationOf(context);
          if (operation === undefined) return;
          const wait = tracker.begin('socket', operation, onClientRequestStart);
          if (!wait) return;
          context[PENDING] = wait;
          busySockets.add(socket);
          socketOf.set(wait, socket);
        } catch {
          // never break the client
        }
      },
      asyncEnd: (message: unknown) => finish(message),
      error: (message: unknown) => finish(message),
    };
    // A subscriber that throws is rethrown by diagnostics_channel as an uncaught exception: never.
    const finish = (message: unknown) => {
      try {
        const context = message as Context;
        const wait = context[PENDING];
        if (!wait) return;
        context[PENDING] = undefined;
        const socket = socketOf.get(wait);
        if (socket) busySockets.delete(socket);
        tracker.end(wait);
      } catch {
        // a lost measurement
      }
    };
    try {
      const tracing = diagnosticsChannel.tracingChannel(channel.name);
      tracing.subscribe(handlers as unknown as Parameters<typeof tracing.subscribe>[0]);
      restores.push(() => tracing.unsubscribe(handlers as unknown as Parameters<typeof tracing.unsubscribe>[0]));
    } catch {
      // no tracing channels in this runtime
    }
  }
  return restores;
}
