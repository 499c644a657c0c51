/** Messages between the host's main thread and its simulation worker (app/host/worker.ts). */
import type { TransportKind } from '../../core/net/transport';
import type { ScriptError } from '../../core/sim/types';

export type ToWorker =
  | { type: 'init'; code: string; hostToken: string; mode?: string; hostLinkUrl: string | null; snapshotHz?: number; capacity?: number }
  | { type: 'connect'; id: string; kind: TransportKind; port: MessagePort }
  | { type: 'script'; name: string; code: string }
  | { type: 'stop'; reason: string };

export interface WorkerTelemetry {
  ticks: number; // ticks in this window
  tickMs: number; // mean wall time of a full tick (simulation + snapshots)
  physicsMs: number;
  luaMs: number;
  entities: number;
  players: number;
  hostLinkBytes: number; // bytes sent+received on the host link in this window
  snapshotBytes: number; // snapshot bytes sent to all players in this window
  windowMs: number;
}

export type FromWorker =
  | { type: 'ready'; mode: string; modes: readonly string[] }
  | { type: 'fatal'; message: string }
  | { type: 'telemetry'; t: WorkerTelemetry }
  | { type: 'hostlink'; status: 'open' | 'closed'; reason?: string }
  | { type: 'script_result'; name: string; ok: boolean; error?: ScriptError };
