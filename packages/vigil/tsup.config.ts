import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// __dirname in the ESM build: register's own path is what children preload.
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/register.ts'], dts: { entry: 'src/index.ts' }, shims: true }));
