import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['cjs', 'esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // The native binding is loaded lazily with createRequire(__filename); the shim defines
  // __filename in the ESM build.
  shims: true,
});
