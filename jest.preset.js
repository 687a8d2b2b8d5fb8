// Shared jest settings: TypeScript through ts-jest (transpile only; `pnpm typecheck` checks types),
// and workspace packages resolved to their sources so no build is needed before a test.
const { join } = require('node:path');

const packagesDir = join(__dirname, 'packages');

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: join(__dirname, 'tsconfig.jest.json') }],
  },
  moduleNameMapper: {
    '^@vigil/heap/leak-analysis$': join(packagesDir, 'heap/src/leak-analysis.ts'),
    '^@vigil/exporter/selection$': join(packagesDir, 'exporter/src/exporter-selection.ts'),
    '^@vigil/viewer$': join(__dirname, 'apps/viewer/src/index.ts'),
    '^@vigil/([a-z0-9-]+)$': join(packagesDir, '$1/src/index.ts'),
  },
  testTimeout: 60_000,
  // Real child processes and servers: one test file at a time per package keeps timings honest on 2 cores.
  maxWorkers: 1,
};
