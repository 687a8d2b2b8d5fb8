import type { ProfileBatch } from '@vigil/core';
import { attributeText, type OtlpAttributeValue } from './any-value';

/** Batch tags that become semantic-convention resource attributes instead of being passed through. */
const TAG_TO_ATTRIBUTE: Readonly<Record<string, string>> = {
  service: 'service.name',
  version: 'service.version',
  env: 'deployment.environment.name',
  'runtime-id': 'service.instance.id',
  process_id: 'process.pid',
};

/** Node's process.arch and process.platform names where the semantic conventions spell them differently. */
const HOST_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: 'x86', arm: 'arm32' };
const OS_TYPE: Readonly<Record<string, string>> = { win32: 'windows', sunos: 'solaris' };

/**
 * Resource attributes for a batch, lowest precedence first: what the batch says about the process
 * (`service.name`, `service.version`, `deployment.environment.name` from the service/version/env
 * tags; `service.instance.id` from the runtime id; `process.pid`, `process.runtime.*`, `host.name`,
 * `telemetry.sdk.*` from the runtime; other user tags under their own names), then `fromEnv`
 * (OTEL_RESOURCE_ATTRIBUTES, then OTEL_SERVICE_NAME), then `overrides` (the exporter's `resource`
 * option).
 */
export function resourceAttributesFor(
  batch: Pick<ProfileBatch, 'tags' | 'runtime'>,
  fromEnv: { resourceAttributes?: Readonly<Record<string, string>>; serviceName?: string } = {},
  overrides: Readonly<Record<string, OtlpAttributeValue>> = {},
): Record<string, OtlpAttributeValue> {
  const r = batch.runtime;
  const attributes: Record<string, OtlpAttributeValue> = {};
  for (const [tag, value] of Object.entries(batch.tags)) {
    if (!(tag in TAG_TO_ATTRIBUTE)) attributes[tag] = value;
  }
  Object.assign(attributes, {
    'service.name': batch.tags.service ?? 'unknown_service:node',
    ...(batch.tags.version ? { 'service.version': batch.tags.version } : {}),
    ...(batch.tags.env ? { 'deployment.environment.name': batch.tags.env } : {}),
    'service.instance.id': batch.tags['runtime-id'] ?? r.runtimeId,
    'process.pid': r.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': r.nodeVersion,
    'host.name': r.hostname,
    'host.arch': HOST_ARCH[r.arch] ?? r.arch,
    'os.type': OS_TYPE[r.platform] ?? r.platform,
    'telemetry.sdk.name': 'vigil',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': r.profilerVersion,
  });
  Object.assign(attributes, fromEnv.resourceAttributes ?? {});
  if (fromEnv.serviceName) attributes['service.name'] = fromEnv.serviceName;
  Object.assign(attributes, overrides);
  return attributes;
}

/**
 * Vigil tags from resource attributes (what the viewer files an OTLP upload under): the inverse
 * of the mapping above for service, version, env, runtime-id and process_id; other attributes
 * keep their names, with values as text.
 */
export function tagsFromResource(resource: Readonly<Record<string, OtlpAttributeValue>>): Record<string, string> {
  const tags: Record<string, string> = {};
  const byAttribute = Object.fromEntries(Object.entries(TAG_TO_ATTRIBUTE).map(([tag, attribute]) => [attribute, tag]));
  for (const [key, value] of Object.entries(resource)) tags[byAttribute[key] ?? key] = attributeText(value);
  // Older semantic conventions name the environment `deployment.environment`.
  if (tags.env === undefined && tags['deployment.environment'] !== undefined) tags.env = tags['deployment.environment'];
  return tags;
}
