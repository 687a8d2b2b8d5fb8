export { wall, WALL_PROFILE_TYPE, IO_WAIT_PROFILE_TYPE } from './wall-collector';
export type { WallOptions } from './wall-options';
export { DEFAULT_IO_WAIT_MAX_STACKS, DEFAULT_IO_WAIT_SAMPLES_PER_SECOND } from './wall-options';
export { IO_WAIT_KINDS } from './io-wait/io-wait-kinds';
export type { IoWaitKind } from './io-wait/io-wait-kinds';
