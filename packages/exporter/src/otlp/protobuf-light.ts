import { createRequire } from 'node:module';
import type protobufModule from 'protobufjs/light.js';

export type Protobuf = typeof protobufModule;

let loaded: Protobuf | undefined;

/**
 * protobufjs, loaded on first use: it adds about 9 MB to every process that loads it (measured),
 * and only the OTLP exporter needs it, so a process that never sends OTLP never pays for it.
 */
export function protobufLight(): Protobuf {
  // __filename is undefined when an app re-bundled our ESM build; then resolve as its main script would.
  loaded ??= createRequire(__filename ?? process.argv[1] ?? `${process.cwd()}/noop.js`)('protobufjs/light.js') as Protobuf;
  return loaded;
}
