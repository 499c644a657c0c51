/**
 * Messages between the main thread (room-pool.ts) and a room worker (room-worker.ts), besides
 * the batched connection traffic (core/net/mux.ts MuxBatch).
 */
import type { MuxBatch } from '../core/net/mux';
import type { HostOptions } from './runtime';

export interface WorkerInit {
  index: number;
  wasmPath: string;
  luaDir: string;
  /** Every room's state (RoomHost.serialize()) goes to the main thread this often (ms; 0 = never). */
  checkpointMs: number;
}

/** Room code → connected players, for rooms whose count changed. */
export type RoomCounts = Record<string, number>;

export type ToWorker =
  | MuxBatch
  | { t: 'create'; req: number; opts: HostOptions }
  | { t: 'restore'; req: number; blob: Uint8Array; opts: HostOptions }
  | { t: 'remove'; code: string; reason: string }
  | { t: 'stop'; reason: string };

export type RoomEvent =
  | { ev: 'join'; id: string; name: string }
  | { ev: 'leave'; id: string; reason: string }
  | { ev: 'empty' }
  | { ev: 'error'; reason: string }
  | { ev: 'mode'; mode: string };

export type FromWorker =
  | MuxBatch
  | { t: 'stopped' }
  | { t: 'reply'; req: number; ok: true; mode?: string; players?: number }
  | { t: 'reply'; req: number; ok: false; error: string }
  | ({ t: 'ev'; code: string } & RoomEvent)
  | { t: 'checkpoint'; code: string; blob: Uint8Array }
  | { t: 'log'; level: 'error' | 'warn'; msg: string; code?: string; err?: string }
  | {
      t: 'stats';
      /** one entry per room tick (ms) */
      tickMs: Float64Array;
      luaMs: Float64Array;
      /** 4 per loop step: wall ms, busy ms, rooms, CPU ms */
      steps: Float64Array;
      tickErrors: number;
      scriptErrors: number;
      droppedSteps: number;
      lagMs: number;
      paused: number;
      players: RoomCounts | null;
    };
