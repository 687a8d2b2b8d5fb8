import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/run-demo.ts', 'src/service.ts'],
  format: ['cjs'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
