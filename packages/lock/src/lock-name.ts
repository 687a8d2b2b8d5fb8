import { readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, relative, sep } from 'node:path';
import type { Frame } from '@vigil/core';

/**
 * The `lock name` label: `file:line:variable` where the lock was created, as Python's profiler
 * names its locks. The variable is read from the source line of the creation site
 * (`const cacheLock = new Mutex()` gives `cacheLock`); a name given by the user wins over it.
 */
export function formatLockName(kind: string, site: Frame | undefined, givenName: string | undefined): string {
  const where = site?.file ? `${displayPath(site.file)}:${site.line ?? 0}` : undefined;
  const name = givenName ?? (site ? variableAt(site) : undefined);
  const label = where && name ? `${where}:${name}` : where ?? name ?? kind;
  return label.length > MAX_LABEL_CHARS ? `${label.slice(0, MAX_LABEL_CHARS - 3)}...` : label;
}

const MAX_LABEL_CHARS = 200;

/** Path relative to the working directory when inside it (short and stable across hosts), else the file name. */
export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  return basename(file);
}

const MAX_CACHED_FILES = 64;
const MAX_SOURCE_BYTES = 2 * 1024 * 1024;
const sourceLines = new Map<string, string[] | null>();

// `name = new X(`, `name: new X(`, `this.name = new X(`, `name = wrap(new X(`, also after `await` or a type annotation.
const ASSIGNED_NEW = /([A-Za-z_$][\w$]*)\s*(?::\s*[\w$.<>\[\]| ]+?)?\s*[:=]\s*(?:await\s+)?(?:[\w$.]+\()?new\s+[\w$.]+/;

/** The variable or property a lock was assigned to on its creation line, if the line says so. */
export function variableAt(site: Frame): string | undefined {
  if (!site.file || !site.line) return undefined;
  const lines = readSourceLines(site.file);
  const text = lines?.[site.line - 1];
  if (!text) return undefined;
  const match = ASSIGNED_NEW.exec(text);
  return match?.[1];
}

function readSourceLines(file: string): string[] | null {
  if (sourceLines.has(file)) return sourceLines.get(file)!;
  let lines: string[] | null = null;
  try {
    if (!file.startsWith('node:') && statSync(file).size <= MAX_SOURCE_BYTES) lines = readFileSync(file, 'utf8').split('\n');
  } catch {
    lines = null;
  }
  if (sourceLines.size >= MAX_CACHED_FILES) sourceLines.delete(sourceLines.keys().next().value!);
  sourceLines.set(file, lines);
  return lines;
}
