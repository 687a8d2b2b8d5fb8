import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

export default defineConfig(packageBuild({ entry: ['src/run-demo.ts', 'src/service.ts'], format: ['cjs'], dts: false }));
