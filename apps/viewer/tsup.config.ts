import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The UI and vendor files are found relative to the bundle's folder, in CJS and ESM alike.
export default defineConfig(packageBuild({ entry: { index: 'src/index.ts', main: 'src/main.ts', 'decode-worker': 'src/intake/decode-worker.ts' }, dts: { entry: 'src/index.ts' }, ownPath: true,
  // Leak analysis is bundled from @vigil/heap's addon-free entry, so installing the viewer never brings @datadog/pprof.
  noExternal: ['@vigil/heap'] }));
