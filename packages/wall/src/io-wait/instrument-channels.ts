import diagnosticsChannel from 'node:diagnostics_channel';
import http from 'node:http';
import https from 'node:https';
import type { IoWaitTracker, PendingWait } from './io-wait-tracker';
import { replaceFunction, type Restore } from './patch';

type Message = { request?: object; socket?: object };
type EventSource = { once(event: string, listener: () => void): unknown };

/**
 * HTTP client requests (http/https: call to response headers; fetch/undici: request created to
 * response headers or error) and net client connects. Ends come from Node's diagnostics channels;
 * starts too where their subscribers run synchronously in the issuing stack (undici, net).
 */
export function instrumentChannels(tracker: IoWaitTracker): Restore[] {
  const restores: Restore[] = [];
  const pending = new WeakMap<object, PendingWait>();
  const subscribe = (name: string, listener: (message: unknown) => void) => {
    try {
      diagnosticsChannel.subscribe(name, listener);
      restores.push(() => diagnosticsChannel.unsubscribe(name, listener));
    } catch {
      // channel unknown to this runtime
    }
  };
  const finish = (key: object | undefined) => {
    if (!key) return;
    const wait = pending.get(key);
    if (wait) {
      pending.delete(key);
      tracker.end(wait);
    }
  };

  if (tracker.tracks('http')) {
    // Node 20 publishes `http.client.request.start` only once a socket is assigned, on a later tick,
    // where the issuing stack is gone: the request functions themselves are wrapped instead.
    for (const [module, prefix] of [[http, 'http'], [https, 'https']] as const) {
      for (const name of ['request', 'get']) {
        const operation = `${prefix}.${name}`;
        const restore = replaceFunction(module, name, (original) => function wrapped(this: unknown, ...args: unknown[]) {
          const wait = tracker.begin('http', operation, wrapped);
          const request = original.apply(this, args);
          if (wait && request && typeof request === 'object') {
            pending.set(request, wait);
            // A request that fails or is aborted ends its wait when it closes ('close' listeners change nothing else).
            (request as EventSource).once('close', () => finish(request));
          }
          return request;
        });
        if (restore) restores.push(restore);
      }
    }
    subscribe('http.client.response.finish', (message) => finish((message as Message).request));
    subscribe('undici:request:create', function onFetchCreate(message) {
      const request = (message as Message).request;
      if (!request) return;
      const wait = tracker.begin('http', 'fetch', onFetchCreate);
      if (wait) pending.set(request, wait);
    });
    subscribe('undici:request:headers', (message) => finish((message as Message).request));
    subscribe('undici:request:error', (message) => finish((message as Message).request));
  }

  if (tracker.tracks('net')) {
    subscribe('net.client.socket', function onClientSocket(message) {
      // Published when net.connect() creates the socket, before it starts connecting.
      const socket = (message as Message).socket as EventSource | undefined;
      if (!socket) return;
      const wait = tracker.begin('net', 'net.connect', onClientSocket);
      if (!wait) return;
      const done = () => tracker.end(wait);
      socket.once('connect', done);
      socket.once('close', done);
    });
  }
  return restores;
}
