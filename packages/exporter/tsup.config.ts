import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

const entry = {
  index: 'src/index.ts',
  // The detached uploader: on process exit it is started as a separate Node process.
  'detached-upload-main': 'src/detached-upload-main.ts',
  // What the preload loads: the choice of exporters, then only the exporters chosen.
  selection: 'src/exporter-selection.ts',
  file: 'src/file-exporter.ts',
  agent: 'src/agent-exporter.ts',
  pyroscope: 'src/pyroscope-exporter.ts',
  otlp: 'src/otlp/otlp-exporter.ts',
};
const { 'detached-upload-main': _uploader, ...typed } = entry;

export default defineConfig(packageBuild({
  entry,
  // Each entry a self-contained bundle: shared chunks (tsup's CommonJS splitting) made the preload
  // resolve more files and were no faster, measured. An exporter made through one entry is
  // therefore not `instanceof` a class another entry exports.
  splitting: false,
  dts: { entry: typed },
  // Finds the uploader next to the bundle.
  ownPath: true,
}));
