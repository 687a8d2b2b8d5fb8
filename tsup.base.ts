import type { Options } from 'tsup';

/**
 * The build every package shares: ESM + CJS + types for Node 20, with source maps. A package's
 * tsup.config.ts passes what differs (extra entries, shims for __dirname in the ESM build).
 */
export function packageBuild(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['cjs', 'esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...overrides,
  };
}
