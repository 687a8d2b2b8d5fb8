import { OTLP_PROFILES_PATH } from '@vigil/exporter';
import { HttpError } from '../http/http-error';
import type { IncomingUpload } from '../store/upload-meta';
import { parseDatadogUpload } from './datadog-intake';
import type { DecodeBudget } from './decode-budget';
import { parseMultipart } from './multipart';
import { parseOtlpUpload } from './otlp-intake';
import { parsePyroscopeUpload, type PyroscopeQuery } from './pyroscope-intake';

export const DATADOG_INTAKE_PATH = '/profiling/v1/input';
export const PYROSCOPE_INTAKE_PATH = '/ingest';
export const OTLP_INTAKE_PATH = OTLP_PROFILES_PATH;
export const INTAKE_PATHS: readonly string[] = [DATADOG_INTAKE_PATH, PYROSCOPE_INTAKE_PATH, OTLP_PROFILES_PATH];

/** One received request body to turn into uploads: everything the decoding thread needs, and only plain data. */
export interface UploadJob {
  path: string;
  contentType: string | undefined;
  query: PyroscopeQuery;
  body: Uint8Array;
  budget: DecodeBudget;
}

/**
 * Decodes and checks one intake request into the uploads to store (an OTLP request may hold
 * several). Throws HttpError for anything refused. CPU- and memory-heavy: runs in a decode worker.
 */
export async function parseUpload(job: UploadJob): Promise<IncomingUpload[]> {
  const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
  if (job.path === OTLP_PROFILES_PATH) return parseOtlpUpload(body, job.budget);
  if (job.path === DATADOG_INTAKE_PATH) {
    const parts = await parseMultipart(body, job.contentType, body.length);
    return [parseDatadogUpload(parts, job.budget)];
  }
  if (job.path === PYROSCOPE_INTAKE_PATH) return [await parsePyroscopeUpload(job.query, job.contentType, body, job.budget)];
  throw new HttpError(404, `no intake at ${job.path}`);
}
