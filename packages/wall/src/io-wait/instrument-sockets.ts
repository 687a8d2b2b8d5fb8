import diagnosticsChannel from 'node:diagnostics_channel';
import net from 'node:net';
import type { IoWaitTracker, PendingWait } from './io-wait-tracker';
import type { Restore } from './patch';
import { socketOperationName } from './socket-operation-name';
import { captureIssuingStack } from './stack-capture';

/** Frames looked at, once per socket, to find the client package that writes on it. */
const CLIENT_SEARCH_FRAMES = 16;

/**
 * Per client socket: whether a request is outstanding (written, no reply bytes yet) and the
 * sampled wait measuring it, if any. Kept on the socket under a symbol: one property read per write.
 */
interface SocketState {
  /** True from the first write after the last reply bytes until the next reply bytes. */
  awaitingReply: boolean;
  pending: PendingWait | undefined;
  readonly operation: string;
}

/**
 * The socket written last on this thread: the one a client's request channel just wrote to. One
 * reference at most, replaced by the next write, so it keeps no socket alive for long.
 */
let lastWrittenSocket: TrackedSocket | undefined;

/**
 * The client socket the current synchronous call wrote to last (for named client channels, which
 * publish right after the write without saying on which socket), after handing it over: the
 * generic measurement it started, if any, is dropped and the socket is left to the caller.
 */
export function takeOverLastWrittenSocket(): object | undefined {
  const socket = lastWrittenSocket;
  lastWrittenSocket = undefined;
  if (!socket) return undefined;
  socket[SOCKET_MEASURED_ELSEWHERE] = true;
  const state = socket[STATE];
  if (state) {
    state.pending = undefined;
    state.awaitingReply = false;
  }
  return socket;
}

const STATE = Symbol('vigil.io-wait.socket');
/** Set on sockets another instrumentation already measures (fetch/undici, named clients). */
export const SOCKET_MEASURED_ELSEWHERE = Symbol.for('vigil.io-wait.socket-measured-elsewhere');

type TrackedSocket = net.Socket & {
  [STATE]?: SocketState | null;
  [SOCKET_MEASURED_ELSEWHERE]?: boolean;
  _server?: unknown;
  _httpMessage?: unknown;
};

/**
 * Awaited time on persistent client sockets (PostgreSQL, MySQL, Redis, memcached, any
 * request/response protocol over an open TCP or IPC connection): from the write that starts a
 * request to the first bytes of the reply, attributed to the stack that wrote.
 *
 * A request is the first write after the socket last received data; further writes before the
 * reply (a query sent as several protocol messages, a pipeline) belong to it, so a request is
 * counted once however many writes it takes, and at most one wait per socket is measured at a
 * time. The wait ends at the next bytes received, which for a pipelined or multiplexed protocol
 * may be the reply to an earlier request: there it measures how long the socket had requests
 * outstanding without receiving anything, never more than the true wait, and the waits of one
 * socket never overlap. Server-side sockets, HTTP client sockets (the `http` kind) and fetch's
 * sockets are left out.
 */
export function instrumentSockets(tracker: IoWaitTracker): Restore[] {
  const restores: Restore[] = [];
  const prototype = net.Socket.prototype as unknown as Record<string, unknown>;
  const hadOwnWrite = Object.prototype.hasOwnProperty.call(prototype, 'write');
  const originalWrite = prototype.write as (this: TrackedSocket, ...args: unknown[]) => boolean;
  if (typeof originalWrite !== 'function') return restores;

  // Runs inside the socket's 'data' emit: it must never throw into the client's stream.
  const onReplyBytes = (state: SocketState) => {
    state.awaitingReply = false;
    const pending = state.pending;
    if (pending) {
      state.pending = undefined;
      try {
        tracker.end(pending);
      } catch {
        // a lost measurement, never a broken connection
      }
    }
  };

  /** State of a client socket seen writing; null for one never to measure, undefined to look again later. */
  const stateOf = (socket: TrackedSocket, writer: Function): SocketState | null | undefined => {
    // Adding a 'data' listener to a stream nobody reads yet would start it flowing and lose data:
    // only sockets already read in flowing mode (what database and cache clients do) are measured.
    if (socket.readableFlowing !== true) return undefined;
    // Once per socket (they are long-lived): which client library writes on it names its waits.
    const writerFiles = captureIssuingStack(writer, CLIENT_SEARCH_FRAMES).map((frame) => frame.file);
    const state: SocketState = { awaitingReply: false, pending: undefined, operation: socketOperationName(socket, writerFiles) };
    socket.prependListener('data', () => onReplyBytes(state));
    // A request that never got its reply measures nothing.
    socket.once('close', () => {
      state.pending = undefined;
      state.awaitingReply = false;
    });
    return state;
  };

  /** Notes a request written on `socket` by `writer` (the wrapper the capture starts above). */
  const noteRequest = (socket: TrackedSocket, writer: Function) => {
    lastWrittenSocket = socket;
    // Server-side sockets have `_server`; http/https client sockets carry their request.
    if (!tracker.enabled || socket._server != null || socket._httpMessage != null || socket[SOCKET_MEASURED_ELSEWHERE] === true) return;
    try {
      let state = socket[STATE];
      if (state === undefined) {
        state = stateOf(socket, writer);
        if (state !== undefined) socket[STATE] = state;
      }
      if (state && !state.awaitingReply) {
        state.awaitingReply = true;
        state.pending = tracker.begin('socket', state.operation, writer);
      }
    } catch {
      // measuring must never break a write
    }
  };

  const wrappedWrite = function write(this: TrackedSocket, ...args: unknown[]): boolean {
    noteRequest(this, wrappedWrite);
    return originalWrite.apply(this, args);
  };
  Object.defineProperty(wrappedWrite, 'name', { value: 'write', configurable: true });
  Object.defineProperty(wrappedWrite, 'length', { value: originalWrite.length, configurable: true });
  prototype.write = wrappedWrite;
  restores.push(() => {
    lastWrittenSocket = undefined;
    if (prototype.write !== wrappedWrite) return; // someone wrapped over us: ours passes through once disabled
    if (hadOwnWrite) prototype.write = originalWrite;
    else delete prototype.write;
  });

  // `socket.end(request)` writes its last chunk without calling write(): a one-shot request
  // (write, half-close, await the reply) is a request too.
  const hadOwnEnd = Object.prototype.hasOwnProperty.call(prototype, 'end');
  const originalEnd = prototype.end as (this: TrackedSocket, ...args: unknown[]) => unknown;
  if (typeof originalEnd === 'function') {
    const wrappedEnd = function end(this: TrackedSocket, ...args: unknown[]): unknown {
      const chunk = args[0];
      if (chunk != null && typeof chunk !== 'function') noteRequest(this, wrappedEnd);
      return originalEnd.apply(this, args);
    };
    Object.defineProperty(wrappedEnd, 'name', { value: 'end', configurable: true });
    Object.defineProperty(wrappedEnd, 'length', { value: originalEnd.length, configurable: true });
    prototype.end = wrappedEnd;
    restores.push(() => {
      if (prototype.end !== wrappedEnd) return;
      if (hadOwnEnd) prototype.end = originalEnd;
      else delete prototype.end;
    });
  }

  // fetch (undici) requests are the `http` kind: their sockets are not measured again here.
  const onUndiciConnected = (message: unknown) => {
    const socket = (message as { socket?: TrackedSocket }).socket;
    if (socket && typeof socket === 'object') socket[SOCKET_MEASURED_ELSEWHERE] = true;
  };
  try {
    diagnosticsChannel.subscribe('undici:client:connected', onUndiciConnected);
    restores.push(() => diagnosticsChannel.unsubscribe('undici:client:connected', onUndiciConnected));
  } catch {
    // channel unknown to this runtime
  }
  return restores;
}
