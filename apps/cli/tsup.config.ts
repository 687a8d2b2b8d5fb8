import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

export default defineConfig(packageBuild({ entry: ['src/bin.ts', 'src/main.ts'], format: ['cjs'], dts: false }));
