export { cpu, CPU_PROFILE_TYPE } from './cpu-collector';
export type { CpuOptions } from './cpu-collector';
