export { startViewer } from './server';
export type { ViewerHandle } from './server';
export type { ViewerOptions } from './options';
export { DEFAULT_DATA_DIR, DEFAULT_MAX_BODY_BYTES, DEFAULT_RETENTION_MB, DEFAULT_VIEWER_HOST, DEFAULT_VIEWER_PORT } from './options';
export { parseServeArgs, serveViewer, SERVE_USAGE } from './serve-command';
export type { ServeIo } from './serve-command';
export type { FlameNode } from './analysis/flame-tree';
export type { UploadMeta, StoredProfileMeta, IntakeSource } from './store/upload-meta';
