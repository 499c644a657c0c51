/**
 * Binding to the simulation core: core/sim (createSimulation/restoreSimulation: WASM physics +
 * fengari Lua) wrapped in core/host's RoomHost, exactly as the browser host's worker does.
 */
import { createSimulation, restoreSimulation } from '../core/sim/simulation';
import { RoomHost } from '../core/host/room-host';
import type { HostOptions } from './runtime';

export interface RuntimeAssets {
  wasm: Uint8Array;
  scripts: Record<string, string>;
}

export async function createRoomHost(assets: RuntimeAssets, opts: HostOptions): Promise<RoomHost> {
  const sim = await createSimulation({ wasm: assets.wasm, scripts: assets.scripts, mode: opts.mode });
  try {
    return new RoomHost({ sim, code: opts.code, hostToken: opts.hostToken, snapshotHz: opts.snapshotHz, snapshotPhase: opts.snapshotPhase, limits: opts.limits });
  } catch (err) {
    sim.dispose();
    throw err;
  }
}

/** A room from a browser host's state upload (RoomHost.serialize()): same players, tokens, scores. */
export async function restoreRoomHost(assets: RuntimeAssets, blob: Uint8Array, opts: HostOptions): Promise<RoomHost> {
  return RoomHost.restore(blob, assets.wasm, {
    code: opts.code,
    hostToken: opts.hostToken,
    snapshotHz: opts.snapshotHz,
    snapshotPhase: opts.snapshotPhase,
    limits: opts.limits,
    restoreSim: (b, w) => restoreSimulation(b, w),
  });
}
