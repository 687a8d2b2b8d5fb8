import type { KeyedFrame } from './sample-walk';

/**
 * The part of a file path that survives a deploy: inside `node_modules`, the package-relative path
 * (`express/lib/router/index.js`); elsewhere the file's base name (`service.js`). A release that
 * moves the app from /srv/app-1.0/ to /srv/app-1.1/ (or a container to another WORKDIR) keeps it.
 */
export function portablePath(file: string): string {
  const normalized = file.replace(/\\/g, '/').replace(/^file:\/\//, '');
  const inModules = normalized.lastIndexOf('node_modules/');
  if (inModules >= 0) return normalized.slice(inModules + 'node_modules/'.length);
  const slash = normalized.lastIndexOf('/');
  return slash >= 0 ? normalized.slice(slash + 1) : normalized;
}

const portableFrames = new WeakMap<KeyedFrame, KeyedFrame>();

/** The frame keyed by name + portable path, so two sides of a comparison match across moved paths. */
export function portableFrame(frame: KeyedFrame): KeyedFrame {
  let portable = portableFrames.get(frame);
  if (!portable) {
    portable = { ...frame, key: `${frame.name}\u0000${portablePath(frame.file ?? '')}` };
    portableFrames.set(frame, portable);
  }
  return portable;
}
