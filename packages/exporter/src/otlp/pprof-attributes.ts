/**
 * Attribute names of the semantic conventions' `pprof` namespace (and the build id name the
 * Collector's pprof translator uses), which carry the pprof fields that OTLP profiles have no field
 * for, so that pprof -> OTLP -> pprof loses nothing.
 */
export const PPROF_ATTRIBUTES = {
  /** string[]: Profile.comment. */
  comment: 'pprof.profile.comment',
  dropFrames: 'pprof.profile.drop_frames',
  keepFrames: 'pprof.profile.keep_frames',
  docUrl: 'pprof.profile.doc_url',
  /** Scope attribute, string: the original default_sample_type. */
  defaultSampleType: 'pprof.scope.default_sample_type',
  /** Scope attribute, int[]: for each profile of the scope, its sample type's index in the original pprof. */
  sampleTypeOrder: 'pprof.scope.sample_type_order',
  isFolded: 'pprof.location.is_folded',
  hasFunctions: 'pprof.mapping.has_functions',
  hasFilenames: 'pprof.mapping.has_filenames',
  hasLineNumbers: 'pprof.mapping.has_line_numbers',
  hasInlineFrames: 'pprof.mapping.has_inline_frames',
  buildId: 'process.executable.build_id.gnu',
} as const;

/** Scope attribute naming the Vigil profile type (`wall`, `cpu`, `space`, `lock`, `events`, ...). */
export const VIGIL_PROFILE_TYPE_ATTRIBUTE = 'vigil.profile.type';

/** The instrumentation scope name of everything Vigil sends. */
export const VIGIL_SCOPE_NAME = 'vigil';
