import type protobuf from 'protobufjs/light.js';
import { protobufLight } from './protobuf-light';

/**
 * The tag of open-telemetry/opentelemetry-proto whose field names, numbers and types this
 * descriptor follows. The profiles signal is alpha: a new tag may renumber fields, so this is
 * pinned and checked against the official files in test/otlp/official-proto.test.ts.
 */
export const OTLP_PROTO_VERSION = 'v1.11.0';

/** The OTLP/HTTP path for profiles in that version. */
export const OTLP_PROFILES_PATH = '/v1development/profiles';

// Our own protobufjs JSON descriptor (not a copy of the .proto files): only the messages and
// fields Vigil reads or writes, with names in protobufjs' camelCase. Field numbers and wire types
// are facts of the OTLP v1.11.0 wire format. Messages are JSON-parsed, so protobufjs treats them
// as proto3 (repeated scalars packed), as the official files are.
const f = (type: string, id: number, rule?: 'repeated') => (rule ? { type, id, rule } : { type, id });

const descriptor = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: {
              nested: {
                v1: {
                  nested: {
                    AnyValue: {
                      oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue', 'stringValueStrindex'] } },
                      fields: {
                        stringValue: f('string', 1),
                        boolValue: f('bool', 2),
                        intValue: f('int64', 3),
                        doubleValue: f('double', 4),
                        arrayValue: f('ArrayValue', 5),
                        kvlistValue: f('KeyValueList', 6),
                        bytesValue: f('bytes', 7),
                        stringValueStrindex: f('int32', 8),
                      },
                    },
                    ArrayValue: { fields: { values: f('AnyValue', 1, 'repeated') } },
                    KeyValueList: { fields: { values: f('KeyValue', 1, 'repeated') } },
                    KeyValue: { fields: { key: f('string', 1), value: f('AnyValue', 2), keyStrindex: f('int32', 3) } },
                    InstrumentationScope: {
                      fields: {
                        name: f('string', 1),
                        version: f('string', 2),
                        attributes: f('KeyValue', 3, 'repeated'),
                        droppedAttributesCount: f('uint32', 4),
                      },
                    },
                  },
                },
              },
            },
            resource: {
              nested: {
                v1: {
                  nested: {
                    // entity_refs (3) is left out: unknown fields are skipped when decoding.
                    Resource: {
                      fields: {
                        attributes: f('opentelemetry.proto.common.v1.KeyValue', 1, 'repeated'),
                        droppedAttributesCount: f('uint32', 2),
                      },
                    },
                  },
                },
              },
            },
            profiles: {
              nested: {
                v1development: {
                  nested: {
                    ProfilesDictionary: {
                      fields: {
                        mappingTable: f('Mapping', 1, 'repeated'),
                        locationTable: f('Location', 2, 'repeated'),
                        functionTable: f('Function', 3, 'repeated'),
                        linkTable: f('Link', 4, 'repeated'),
                        stringTable: f('string', 5, 'repeated'),
                        attributeTable: f('KeyValueAndUnit', 6, 'repeated'),
                        stackTable: f('Stack', 7, 'repeated'),
                      },
                    },
                    ResourceProfiles: {
                      fields: {
                        resource: f('opentelemetry.proto.resource.v1.Resource', 1),
                        scopeProfiles: f('ScopeProfiles', 2, 'repeated'),
                        schemaUrl: f('string', 3),
                      },
                    },
                    ScopeProfiles: {
                      fields: {
                        scope: f('opentelemetry.proto.common.v1.InstrumentationScope', 1),
                        profiles: f('Profile', 2, 'repeated'),
                        schemaUrl: f('string', 3),
                      },
                    },
                    Profile: {
                      fields: {
                        // Singular in this version: one OTLP Profile per pprof sample type.
                        sampleType: f('ValueType', 1),
                        samples: f('Sample', 2, 'repeated'),
                        timeUnixNano: f('fixed64', 3),
                        durationNano: f('uint64', 4),
                        periodType: f('ValueType', 5),
                        period: f('int64', 6),
                        profileId: f('bytes', 7),
                        droppedAttributesCount: f('uint32', 8),
                        originalPayloadFormat: f('string', 9),
                        originalPayload: f('bytes', 10),
                        attributeIndices: f('int32', 11, 'repeated'),
                      },
                    },
                    Link: { fields: { traceId: f('bytes', 1), spanId: f('bytes', 2) } },
                    ValueType: { fields: { typeStrindex: f('int32', 1), unitStrindex: f('int32', 2) } },
                    Sample: {
                      fields: {
                        stackIndex: f('int32', 1),
                        attributeIndices: f('int32', 2, 'repeated'),
                        linkIndex: f('int32', 3),
                        values: f('int64', 4, 'repeated'),
                        timestampsUnixNano: f('fixed64', 5, 'repeated'),
                      },
                    },
                    Mapping: {
                      fields: {
                        memoryStart: f('uint64', 1),
                        memoryLimit: f('uint64', 2),
                        fileOffset: f('uint64', 3),
                        filenameStrindex: f('int32', 4),
                        attributeIndices: f('int32', 5, 'repeated'),
                      },
                    },
                    Stack: { fields: { locationIndices: f('int32', 1, 'repeated') } },
                    Location: {
                      fields: {
                        mappingIndex: f('int32', 1),
                        address: f('uint64', 2),
                        lines: f('Line', 3, 'repeated'),
                        attributeIndices: f('int32', 4, 'repeated'),
                      },
                    },
                    Line: { fields: { functionIndex: f('int32', 1), line: f('int64', 2), column: f('int64', 3) } },
                    Function: {
                      fields: {
                        nameStrindex: f('int32', 1),
                        systemNameStrindex: f('int32', 2),
                        filenameStrindex: f('int32', 3),
                        startLine: f('int64', 4),
                      },
                    },
                    KeyValueAndUnit: {
                      fields: {
                        keyStrindex: f('int32', 1),
                        value: f('opentelemetry.proto.common.v1.AnyValue', 2),
                        unitStrindex: f('int32', 3),
                      },
                    },
                  },
                },
              },
            },
            collector: {
              nested: {
                profiles: {
                  nested: {
                    v1development: {
                      nested: {
                        ExportProfilesServiceRequest: {
                          fields: {
                            resourceProfiles: f('opentelemetry.proto.profiles.v1development.ResourceProfiles', 1, 'repeated'),
                            dictionary: f('opentelemetry.proto.profiles.v1development.ProfilesDictionary', 2),
                          },
                        },
                        ExportProfilesServiceResponse: { fields: { partialSuccess: f('ExportProfilesPartialSuccess', 1) } },
                        ExportProfilesPartialSuccess: { fields: { rejectedProfiles: f('int64', 1), errorMessage: f('string', 2) } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/** Full names of the messages, as in the official files. */
export const MESSAGE_NAMES = {
  request: 'opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest',
  response: 'opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceResponse',
  resourceProfiles: 'opentelemetry.proto.profiles.v1development.ResourceProfiles',
  scopeProfiles: 'opentelemetry.proto.profiles.v1development.ScopeProfiles',
  profile: 'opentelemetry.proto.profiles.v1development.Profile',
  dictionary: 'opentelemetry.proto.profiles.v1development.ProfilesDictionary',
  resource: 'opentelemetry.proto.resource.v1.Resource',
} as const;

let root: protobuf.Root | undefined;

/** The protobufjs root built from our descriptor (once). */
export function otlpProfilesRoot(): protobuf.Root {
  if (!root) {
    root = protobufLight().Root.fromJSON(descriptor);
    root.resolveAll();
  }
  return root;
}

/** A message type of our descriptor by full name. */
export function otlpType(name: (typeof MESSAGE_NAMES)[keyof typeof MESSAGE_NAMES]): protobuf.Type {
  return otlpProfilesRoot().lookupType(name);
}

/** The descriptor itself, for tests that compare it with the official files. */
export const OTLP_PROFILES_DESCRIPTOR: Readonly<Record<string, unknown>> = descriptor;
