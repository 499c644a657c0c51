export * from './types';
export { createSimulation, restoreSimulation, parseBlob, DT, DEFAULT_ARENA, DEFAULT_MODE, LUA_FLAGS } from './simulation';
export type { FullSimulationOptions, SimulationExtraOptions } from './simulation';
export { ReplayRecorder, replay, encodeReplay, decodeReplay } from './replay';
export type { ReplayLog, ReplayEntry } from './replay';
export { fnv1a64hex } from './hash';
