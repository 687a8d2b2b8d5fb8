// Zero-code profiling: `node --require @vigil/profiler/register app.js` or `node --import @vigil/profiler/register app.mjs`.
// Configured only by the environment; starts only when DD_PROFILING_ENABLED is true. Never throws
// into the app: whatever goes wrong is one line on stderr and the app runs unprofiled.
import { isMainThread, parentPort } from 'node:worker_threads';
import { createConsoleLogger, readEnvConfig } from '@vigil/core';
import { registerLockEsmHooks } from '@vigil/lock';
import { Profiler } from './profiler';

const STARTED_KEY = Symbol.for('vigil.register.started.v1');

function register(): void {
  const holder = globalThis as unknown as Record<symbol, Profiler | undefined>;
  if (holder[STARTED_KEY]) return; // preloaded twice (--require and --import, or NODE_OPTIONS and a flag)
  // Node's module-hooks thread inherits preloads too; it runs no app code (user workers, which
  // do, always have a parentPort and get a profiler of their own).
  if (!isMainThread && parentPort === null) return;
  const warnings: string[] = [];
  const config = readEnvConfig(process.env, (m) => warnings.push(m));
  if (!config.enabled) return;
  const wantsLock = !config.profilers || config.profilers.includes('lock');
  // ESM imports of lock libraries can only be instrumented by a loader hook registered before they load.
  if (wantsLock && isMainThread) registerLockEsmHooks();
  const profiler = new Profiler({ logger: createConsoleLogger(config.logLevel) });
  holder[STARTED_KEY] = profiler;
  profiler.start();
}

try {
  register();
} catch (error) {
  try {
    process.stderr.write(`[vigil] error: profiling could not start, the app runs unprofiled: ${(error as Error)?.message ?? String(error)}\n`);
  } catch {
    // stderr gone: stay silent
  }
}
