// Zero-code profiling: `node --require @vigil/profiler/register app.js` or `node --import @vigil/profiler/register app.mjs`.
// Configured only by the environment; starts only when DD_PROFILING_ENABLED is true. Never throws
// into the app: whatever goes wrong is one line on stderr and the app runs unprofiled.
//
// This file is the whole preload when profiling is off: it reads the switch with no dependency
// and loads the runtime (register-runtime.js, CommonJS for both --require and --import, so one
// copy of every package is loaded) only when the switch is on.
import { createRequire } from 'node:module';

/** The values EnvReader.bool reads as true (core's reader, not loaded here to keep this file free of dependencies). */
const TRUE_VALUES = ['true', '1', 'yes', 'on'];

function profilingSwitchedOn(env: NodeJS.ProcessEnv): boolean {
  return TRUE_VALUES.includes((env.DD_PROFILING_ENABLED ?? '').trim().toLowerCase());
}

function register(): void {
  if (!profilingSwitchedOn(process.env)) return;
  // Loaded after the switch: worker_threads alone is 1.8 MB of RSS on Node 24, and a preload
  // that is off must cost nothing.
  const { isMainThread, parentPort } = process.getBuiltinModule('node:worker_threads');
  // Node's module-hooks thread inherits preloads too; it runs no app code (user workers, which
  // do, always have a parentPort and get a profiler of their own).
  if (!isMainThread && parentPort === null) return;
  if (typeof __dirname !== 'string') throw new Error('register was bundled into the app; preload @vigil/profiler/register from node_modules instead');
  const runtime = createRequire(__filename!)(`${__dirname}/register-runtime.js`) as typeof import('./register-runtime');
  // This file's ES module build (register.mjs) is what `--import` loads.
  runtime.startFromEnvironment({ preloadedWithImport: __filename!.endsWith('.mjs') });
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
