import dns from 'node:dns';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import type { Disposable, SharedResources, Lease } from '@vigil/core';
import { DNS_OPERATIONS, FS_OPERATIONS, instrumentCallbackApi, instrumentPromiseApi } from './instrument-fs-dns';
import { instrumentChannels } from './instrument-channels';
import { instrumentClientChannels } from './instrument-client-channels';
import { instrumentSockets } from './instrument-sockets';
import { instrumentTimers } from './instrument-timers';
import { IoWaitTracker, type IoWaitTrackerOptions } from './io-wait-tracker';
import type { Restore } from './patch';

/** Key of the per-thread I/O wait instrumentation in core's shared-resource registry. */
export const IO_WAIT_RESOURCE_KEY = 'vigil.io-wait';

/** A tracker plus the instrumentation feeding it; disposing removes the instrumentation. */
export class IoWaitInstrumentation implements Disposable {
  readonly tracker: IoWaitTracker;
  private readonly restores: Restore[] = [];

  constructor(options: IoWaitTrackerOptions & { clientChannels?: boolean }) {
    this.tracker = new IoWaitTracker(options);
    const t = this.tracker;
    if (t.tracks('fs')) {
      this.restores.push(...instrumentCallbackApi(fs, FS_OPERATIONS, 'fs', 'fs', t));
      this.restores.push(...instrumentPromiseApi(fs.promises, FS_OPERATIONS, 'fs', 'fs.promises', t));
    }
    if (t.tracks('dns')) {
      this.restores.push(...instrumentCallbackApi(dns, DNS_OPERATIONS, 'dns', 'dns', t));
      this.restores.push(...instrumentPromiseApi(dns.promises, DNS_OPERATIONS, 'dns', 'dns.promises', t));
    }
    this.restores.push(...instrumentChannels(t));
    if (t.tracks('timer')) this.restores.push(...instrumentTimers(t));
    if (t.tracks('socket')) {
      this.restores.push(...instrumentSockets(t));
      if (options.clientChannels) this.restores.push(...instrumentClientChannels(t));
    }
    // ESM named imports of builtins (`import { readFile } from 'node:fs'`) are copies: refresh them.
    syncBuiltinESMExports();
  }

  dispose(): void {
    this.tracker.dispose();
    for (const restore of this.restores.splice(0).reverse()) {
      try {
        restore();
      } catch {
        // leave it: the wrapper is a pass-through once the tracker is disabled
      }
    }
    syncBuiltinESMExports();
  }
}

/** The thread's I/O wait instrumentation, installed on first acquire and removed on last release. */
export function acquireIoWait(shared: SharedResources, options: IoWaitTrackerOptions & { clientChannels?: boolean }): Lease<IoWaitInstrumentation> {
  return shared.acquire(IO_WAIT_RESOURCE_KEY, () => new IoWaitInstrumentation(options));
}
