/**
 * The room runtime for server-hosted rooms: the very same simulation core as the browser host
 * (engine-wasm's .wasm bytes and lua_scripts/*.lua read from disk once at startup) wrapped in
 * a RoomHost.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { RoomHostApi, RoomLimits } from '../core/host/types';
import type { ServerConfig } from './config';
import { createRoomHost, restoreRoomHost, type RuntimeAssets } from './runtime-core';

export interface HostOptions {
  code: string;
  hostToken: string;
  mode: string;
  snapshotHz: number;
  /** RoomHost snapshotPhase: rooms get different phases (spreads snapshot sends over steps). */
  snapshotPhase?: number;
  limits: RoomLimits;
}

export interface RoomRuntime {
  readonly assets: RuntimeAssets;
  createHost(opts: HostOptions): Promise<RoomHostApi>;
  restoreHost(blob: Uint8Array, opts: HostOptions): Promise<RoomHostApi>;
}

/** Reads the engine and the rules from disk; throws a clear Error when something is missing. */
export function loadAssets(config: Pick<ServerConfig, 'wasmPath' | 'luaDir'>): RuntimeAssets {
  if (!fs.existsSync(config.wasmPath)) {
    throw new Error(`engine not built: ${config.wasmPath} is missing (run: bash scripts/build-engine.sh)`);
  }
  if (!fs.existsSync(config.luaDir)) throw new Error(`Lua rules missing: ${config.luaDir} does not exist`);
  const wasm = new Uint8Array(fs.readFileSync(config.wasmPath));
  const scripts: Record<string, string> = {};
  for (const f of fs.readdirSync(config.luaDir).sort()) {
    if (f.endsWith('.lua')) scripts[f] = fs.readFileSync(path.join(config.luaDir, f), 'utf8');
  }
  if (Object.keys(scripts).length === 0) throw new Error(`Lua rules missing: no .lua files in ${config.luaDir}`);
  return { wasm, scripts };
}

export function loadRuntime(config: ServerConfig, log: Logger): RoomRuntime {
  const assets = loadAssets(config);
  log.info({ wasmBytes: assets.wasm.byteLength, scripts: Object.keys(assets.scripts) }, 'room runtime loaded');
  return {
    assets,
    createHost: (opts) => createRoomHost(assets, opts),
    restoreHost: (blob, opts) => restoreRoomHost(assets, blob, opts),
  };
}
