import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The native binding is loaded lazily with createRequire(__filename); the shim defines __filename in the ESM build.
export default defineConfig(packageBuild({ shims: true }));
