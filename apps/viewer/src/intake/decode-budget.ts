import type { DecompressBudget } from './decompress';

/** Limits on turning one upload into checked profiles; over any of them the upload is refused whole. */
export interface DecodeBudget extends DecompressBudget {
  /** Estimated JS heap one decoded profile may take (see estimateDecodedBytes). */
  maxDecodedBytes: number;
}
