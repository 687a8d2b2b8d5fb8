import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// register's own path (__dirname) is what children preload. register (both formats) loads the
// CommonJS register-runtime.js on demand (see src/register.ts); its ESM twin is unused.
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/register.ts', 'src/register-runtime.ts'], dts: { entry: ['src/index.ts', 'src/register.ts'] }, ownPath: true }));
