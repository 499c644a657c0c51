/**
 * Binding to core/sim (Simulation) and core/host (RoomHost).
 */
import type { RoomHostApi } from '../core/host/types';
import type { HostOptions } from './runtime';

export interface RuntimeAssets {
  wasm: Uint8Array;
  scripts: Record<string, string>;
}

export async function createRoomHost(_assets: RuntimeAssets, _opts: HostOptions): Promise<RoomHostApi> {
  throw new Error('RoomHost not available in this build yet (core/host not merged)');
}

export async function restoreRoomHost(_assets: RuntimeAssets, _blob: Uint8Array, _opts: HostOptions): Promise<RoomHostApi> {
  throw new Error('RoomHost not available in this build yet (core/host not merged)');
}
