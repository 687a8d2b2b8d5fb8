import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/register.ts'],
  format: ['cjs', 'esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  // __dirname in the ESM build: register's own path is what children preload.
  shims: true,
  target: 'node20',
});
