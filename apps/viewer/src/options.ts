import type { Logger } from '@vigil/core';

/** Options of {@link startViewer}. */
export interface ViewerOptions {
  /** TCP port; 0 picks a free one (tests). Default 8126, the Datadog agent's port, so profilers find it unconfigured. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1: the viewer is reachable only from this machine unless told otherwise. */
  host?: string;
  /** Folder holding uploads and the index. Created when missing. Default `./.vigil-data`. */
  dataDir?: string;
  /** Disk budget for stored profiles in MiB; the oldest uploads are deleted past it. Default 1024. */
  retentionMb?: number;
  /** Largest accepted request body in bytes; larger uploads get 413. Default 32 MiB. */
  maxBodyBytes?: number;
  /**
   * Secret every request must carry (Authorization: Bearer, DD-API-KEY, X-Vigil-Token, the UI's
   * cookie or ?token=). Required to bind beyond loopback: without one the viewer refuses to start there.
   */
  token?: string;
  /** Where the viewer reports its own problems. Default: one line per warning on stderr. */
  logger?: Logger;
}

export const DEFAULT_VIEWER_PORT = 8126;
export const DEFAULT_VIEWER_HOST = '127.0.0.1';
export const DEFAULT_DATA_DIR = './.vigil-data';
export const DEFAULT_RETENTION_MB = 1024;
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Largest zstd window an upload may ask for: zstd's levels 1-19 use at most 8 MiB. */
export const MAX_ZSTD_WINDOW_BYTES = 32 * 1024 * 1024;
/** Estimated heap of one decoded profile (a 50,000-sample profile of 6 MB takes ~75 MB; estimated ~125 MB). */
export const MAX_DECODED_PROFILE_BYTES = 192 * 1024 * 1024;
/** Wall-clock budget for decoding one upload in its worker. */
export const DECODE_TIMEOUT_MS = 5_000;
/** Heap of each decode worker (V8 old generation, MiB). */
export const DECODE_WORKER_HEAP_MB = 256;
/** Time a client has to send its request headers, and its body (with at most BODY_IDLE_TIMEOUT_MS between chunks). */
export const HEADERS_TIMEOUT_MS = 10_000;
export const BODY_DEADLINE_MS = 60_000;
export const BODY_IDLE_TIMEOUT_MS = 10_000;
/** A decompressed profile may be this many times larger than the largest body, and at least 64 MiB: real profiles are a few MiB, a zip bomb is not. Parts are decoded one at a time. */
export const DECOMPRESSION_RATIO_LIMIT = 2;
