import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/bin.ts', 'src/main.ts'],
  format: ['cjs'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
