import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// @datadog/pprof is loaded lazily, relative to this file (__filename, see ownPath).
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/leak-analysis.ts'], ownPath: true }));
