/** The sample types of the `space` (heap) profile, as Datadog and `go tool pprof` name them. */
export const INUSE_OBJECTS = 'inuse_objects';
export const INUSE_SPACE = 'inuse_space';
export const ALLOC_OBJECTS = 'alloc_objects';
export const ALLOC_SPACE = 'alloc_space';

/** The one sample type of the `events` (timeline) profile: an event's duration. */
export const TIMELINE = 'timeline';

/** NamedProfile types this collector produces (Datadog attachment names are `${type}.pprof`). */
export const SPACE_PROFILE_TYPE = 'space';
export const EVENTS_PROFILE_TYPE = 'events';

/** Label keys shared with the other collectors and with dd-trace's timeline. */
export const LABEL_THREAD_ID = 'thread id';
export const LABEL_THREAD_NAME = 'thread name';
export const LABEL_EVENT = 'event';
export const LABEL_GC_TYPE = 'gc type';
export const LABEL_GC_REASON = 'gc reason';
export const LABEL_END_TIMESTAMP_NS = 'end_timestamp_ns';
