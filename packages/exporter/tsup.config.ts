import { defineConfig } from 'tsup';

export default defineConfig({
  // The detached uploader is its own entry: on process.exit() it is started as a separate Node process.
  entry: { index: 'src/index.ts', 'detached-upload-main': 'src/detached-upload-main.ts' },
  format: ['cjs', 'esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // __dirname in the ESM build, to find the uploader next to the bundle.
  shims: true,
});
