import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@vigil/core';
import { startViewer, type ViewerHandle, type ViewerOptions } from '../../src';

export interface TestViewer extends ViewerHandle {
  warnings: string[];
}

/** A recording logger, so tests see what the viewer reported. */
export function recordingLogger(lines: string[]): Logger {
  return { error: (m) => lines.push(m), warn: (m) => lines.push(m), info: () => undefined, debug: () => undefined };
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'vigil-viewer-test-'));
}

/** Starts a viewer on an ephemeral port in a fresh (or given) data folder. */
export async function startTestViewer(options: ViewerOptions = {}): Promise<TestViewer> {
  const warnings: string[] = [];
  const viewer = await startViewer({ port: 0, dataDir: tempDataDir(), logger: recordingLogger(warnings), ...options });
  return Object.assign(viewer, { warnings });
}

/** Upload folders and leftovers in tmp/ of a data folder. */
export function diskState(dataDir: string): { uploads: string[]; tmp: string[] } {
  return { uploads: readdirSync(join(dataDir, 'uploads')).sort(), tmp: readdirSync(join(dataDir, 'tmp')).sort() };
}
