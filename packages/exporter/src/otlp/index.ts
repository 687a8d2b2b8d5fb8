// The OTLP profiles exporter and decoder; re-exported from the package entry point.
export { otlpExporter, otlpExporterFromEnv, OtlpExporter } from './otlp-exporter';
export type { OtlpExporterOptions } from './otlp-exporter';
export { otlpToPprof, OtlpDecodeError } from './otlp-to-pprof';
export type { OtlpDecodedProfile, OtlpDecodeOptions } from './otlp-to-pprof';
export { encodeOtlpRequest, encodeOtlpRequestSync } from './otlp-request';
export type { OtlpRequestInput } from './otlp-request';
export { resourceAttributesFor, tagsFromResource } from './resource-attributes';
export { readOtlpEnv, DEFAULT_OTLP_ENDPOINT } from './otlp-env';
export type { OtlpCompression, OtlpEnvConfig } from './otlp-env';
export { OTLP_PROTO_VERSION, OTLP_PROFILES_PATH } from './profiles-proto';
export type { OtlpAttributeValue } from './any-value';
