/** The sample label that carries the span a sample was taken in (tracing correlation writes it). */
export const SPAN_ID_LABEL = 'span id';
/** The span id of the local root span; it has no place in an OTLP Link, so it stays an attribute. */
export const LOCAL_ROOT_SPAN_ID_LABEL = 'local root span id';
/** Label names the decoder gives to links of samples that carry no `span id` label of their own. */
export const TRACE_ID_LABEL = 'trace id';

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * The 8 bytes of a span id written as a label: decimal (tracing correlation's default, as Datadog
 * writes them) or 16 hex digits (its `hex` format, as OpenTelemetry shows them). A string of
 * digits only is read as decimal: a hex id made only of digits (about 1 in 2,000) is misread,
 * which affects the Link only (the label itself travels unchanged as an attribute). Returns
 * undefined for anything else, and for 0, which is the invalid span id.
 */
export function spanIdBytes(label: string | number | bigint): Uint8Array | undefined {
  let id: bigint;
  try {
    if (typeof label === 'number' || typeof label === 'bigint') id = BigInt(label);
    else if (/^\d{1,20}$/.test(label)) id = BigInt(label);
    else if (/^[0-9a-f]{16}$/i.test(label)) id = BigInt(`0x${label}`);
    else return undefined;
  } catch {
    return undefined;
  }
  if (id <= 0n || id > MAX_UINT64) return undefined;
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, id);
  return bytes;
}

/** True when every byte is zero (the invalid trace or span id). */
export function isZeroId(bytes: Uint8Array | undefined): boolean {
  return !bytes || bytes.every((b) => b === 0);
}

/** Lower-case hex, as OpenTelemetry writes trace and span ids. */
export function hexId(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
