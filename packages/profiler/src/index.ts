export { Profiler, REGISTER_PATH } from './profiler';
export { collectorsFor, COLLECTOR_NAMES, DEFAULT_COLLECTORS, nativeAddonProblem } from './default-collectors';
export type { CollectorName } from './default-collectors';
export {
  createConsoleLogger, EnvReader, readEnvConfig, ProfileBuilder, ProfileReader, totalsByFunction, totalsByLabel,
  encodeProfile, encodeProfileSync, decodeProfile, addLabels, mergeProfiles, setSpanLabelsProvider, currentSpanLabels,
} from '@vigil/core';
export type {
  Collector, CollectorContext, CollectResult, Exporter, ExportResult, NamedProfile, Period, ProfileBatch, ProfilerOptions,
  StartOptions, StopOptions, ProfilerStats, Logger, LogLevel,
} from '@vigil/core';
export { withLabels } from '@vigil/core';
export { cpu } from '@vigil/cpu';
export { wall } from '@vigil/wall';
export { heap, findLeakSuspects } from '@vigil/heap';
export { lock, Mutex, Semaphore, RWLock } from '@vigil/lock';
export { tracingCorrelation } from '@vigil/tracing-correlation';
export { fileExporter, agentExporter, pyroscopeExporter, exportersFromEnv } from '@vigil/exporter';
