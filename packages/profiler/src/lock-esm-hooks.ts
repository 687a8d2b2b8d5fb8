import { createRequire } from 'node:module';

/**
 * Registers the lock package's ESM loader hooks (so `import { Mutex } from 'async-mutex'` is
 * instrumented). Loads @vigil/lock only now, when the lock collector is on.
 */
export function registerLockEsmHooksIfUsed(): void {
  const requireHere = createRequire(__filename ?? process.argv[1] ?? `${process.cwd()}/noop.js`);
  (requireHere('@vigil/lock') as typeof import('@vigil/lock')).registerLockEsmHooks();
}
