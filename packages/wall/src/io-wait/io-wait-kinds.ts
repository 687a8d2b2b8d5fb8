/**
 * Kinds of waits recorded, each its own label value (`io kind`) and its own sampling budget:
 * - `fs`: callback and promise fs operations, from the call to the callback / settlement;
 * - `dns`: dns lookups and queries (including the lookup inside an http request or net connect);
 * - `net`: TCP/IPC client connects (net.connect), until connected or closed;
 * - `http`: outgoing HTTP requests (http/https and fetch), from the request to the response headers;
 * - `timer`: setTimeout and timers/promises setTimeout, from the call to the callback, counted
 *   only for timers still ref'ed when they fire (an unref'ed timer is background work, not a wait);
 * - `socket`: requests on open client sockets (databases, caches), from the write to the reply
 *   (see `instrument-sockets.ts`).
 */
export const IO_WAIT_KINDS = ['fs', 'dns', 'net', 'http', 'timer', 'socket'] as const;
export type IoWaitKind = (typeof IO_WAIT_KINDS)[number];
