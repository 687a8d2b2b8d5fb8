import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

export default defineConfig(packageBuild({
  // The detached uploader is its own entry: on process exit it is started as a separate Node process.
  entry: { index: 'src/index.ts', 'detached-upload-main': 'src/detached-upload-main.ts' },
  dts: { entry: 'src/index.ts' },
  // Finds the uploader next to the bundle.
  ownPath: true,
}));
