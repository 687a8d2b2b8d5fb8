/**
 * `node --import @vigil/lock/register app.mjs` (or `--require` for CommonJS): instruments the lock
 * libraries before the application loads them. It records nothing until a lock collector runs.
 */
import { registerLockEsmHooks } from './register-esm';
import { installLockInstrumentation } from './instrumentation';

if (!registerLockEsmHooks()) installLockInstrumentation();
