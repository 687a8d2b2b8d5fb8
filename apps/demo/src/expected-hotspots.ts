/** What each dimension must show for the demo to have done its job: the known hotspot of each endpoint. */
export interface ExpectedHotspot {
  dimension: string;
  /** Sample type passed to `vigil top --type`. */
  sampleType: string;
  /** Function that must appear in the top rows (self or cumulative). */
  functionName: string;
  endpoint: string;
  /** When the sample type may legitimately be absent (allocations before Node 26). */
  optional?: string;
}

export const EXPECTED_HOTSPOTS: readonly ExpectedHotspot[] = [
  { dimension: 'CPU time', sampleType: 'cpu', functionName: 'computePrimes', endpoint: 'GET /cpu' },
  { dimension: 'wall time', sampleType: 'wall', functionName: 'computePrimes', endpoint: 'GET /cpu' },
  { dimension: 'I/O wait', sampleType: 'io-wait', functionName: 'readSlowBackend', endpoint: 'GET /io' },
  { dimension: 'live heap', sampleType: 'inuse_space', functionName: 'rememberSession', endpoint: 'GET /leak' },
  { dimension: 'allocations', sampleType: 'alloc_space', functionName: 'buildReport', endpoint: 'GET /alloc', optional: 'allocation profiles need Node 26+' },
  { dimension: 'lock wait', sampleType: 'lock-acquire-wait', functionName: 'updateInventory', endpoint: 'GET /lock' },
];
