import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installLockInstrumentation } from './instrumentation';
import { OWN_DIR } from './stack-capture';

/** Libraries whose ES module copies we instrument; the loader wraps only these. */
export const ESM_INSTRUMENTED_MODULES = ['async-mutex', 'async-lock'] as const;

const REGISTERED_KEY = Symbol.for('vigil.lock.esm-hooks.v1');

/**
 * Registers import-in-the-middle's loader (limited to the lock libraries) and installs the lock
 * instrumentation, so `import { Mutex } from 'async-mutex'` is profiled too. It must run before
 * the application's imports are evaluated: use `node --import @vigil/lock/register app.mjs`.
 * CommonJS apps need none of this. Returns false when the runtime has no `module.register`.
 */
export function registerLockEsmHooks(): boolean {
  const holder = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (holder[REGISTERED_KEY]) return true;
  const register = (nodeModule as { register?: (specifier: string, parentURL: string, options?: unknown) => void }).register;
  if (typeof register !== 'function') return false;
  // Resolve the hook from this package (where import-in-the-middle is a dependency), not from the app.
  if (!OWN_DIR) return false;
  const parentURL = pathToFileURL(join(OWN_DIR, 'index.js')).href;
  register('import-in-the-middle/hook.mjs', parentURL, { data: { include: [...ESM_INSTRUMENTED_MODULES] } });
  holder[REGISTERED_KEY] = true;
  installLockInstrumentation();
  return true;
}
