import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// register's own path (__dirname) is what children preload.
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/register.ts'], dts: { entry: ['src/index.ts', 'src/register.ts'] }, ownPath: true }));
