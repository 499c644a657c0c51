/**
 * Server configuration: environment variables with defaults, validated with zod.
 * `loadConfig(process.env)` throws a clear Error naming the bad variable.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const iceServerSchema = z.object({
  urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof iceServerSchema>;

export interface ServerConfig {
  port: number;
  host: string;
  /** Handed to clients (RTCPeerConnection iceServers). Default [] (no STUN reachable here). */
  iceServers: IceServer[];
  maxRooms: number;
  /** Capacity of every room (RoomHost maxPlayers). */
  maxPlayers: number;
  /** An empty room (no players, host offline) is removed after this long. */
  roomTtlMs: number;
  /** Per-message cap for game messages (RoomHost maxMessageBytes, relay frames). */
  maxMessageBytes: number;
  /** Hard cap on any one WebSocket frame (ws maxPayload): covers Lua mod uploads and state blobs. */
  maxFrameBytes: number;
  /** Per-connection messages per second (token bucket, burst = 2 s worth). */
  rateLimitPerSec: number;
  /** Room lookups (GET /api/rooms/:code) per IP per minute. */
  lookupsPerMinute: number;
  /** Room creations (POST /api/rooms) per IP per minute. */
  createsPerMinute: number;
  snapshotHz: number;
  /**
   * Worker threads that tick server-hosted rooms (0 = on the main thread, next to the sockets).
   * Default: one per core (at most 8): the main thread mostly waits in socket writes, and on 2
   * cores 2 workers kept 50 rooms / 1,000 clients within budget where 1 did not (BENCHMARKS.md).
   */
  roomWorkers: number;
  /** A connection with more than this queued is closed (slow consumer). */
  maxBufferedBytes: number;
  /** Kept so a dropped player can reclaim its slot. */
  reconnectGraceMs: number;
  logLevel: string;
  distDir: string;
  /** engine-wasm/pkg/engine_wasm_bg.wasm */
  wasmPath: string;
  /** lua_scripts/ */
  luaDir: string;
  /**
   * How often a room's state is saved (ms; 0 = never): the server asks a browser host for a state
   * upload, and a room worker checkpoints each server-hosted room to the main thread.
   */
  stateRequestMs: number;
  /**
   * Only the room's host may register its hostPeerId at the signaling server: the PeerJS
   * `token` must be the room's hostToken (`new Peer(hostPeerId, { token: hostToken })`).
   * Stops a joiner (who learns hostPeerId from the rooms API) from squatting the host's id.
   */
  peerHostAuth: boolean;
}

const int = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .int(`${name} must be an integer`)
    .min(min, `${name} must be >= ${min}`)
    .max(max, `${name} must be <= ${max}`);

export function defaultConfig(): ServerConfig {
  return {
    port: 4000,
    host: '0.0.0.0',
    iceServers: [],
    maxRooms: 500,
    maxPlayers: 16,
    roomTtlMs: 10 * 60_000,
    maxMessageBytes: 4096,
    maxFrameBytes: 256 * 1024,
    rateLimitPerSec: 120,
    lookupsPerMinute: 60,
    createsPerMinute: 30,
    snapshotHz: 20,
    roomWorkers: Math.max(1, Math.min(8, os.availableParallelism())),
    maxBufferedBytes: 1024 * 1024,
    reconnectGraceMs: 30_000,
    logLevel: 'info',
    distDir: path.join(ROOT_DIR, 'dist'),
    wasmPath: path.join(ROOT_DIR, 'engine-wasm', 'pkg', 'engine_wasm_bg.wasm'),
    luaDir: path.join(ROOT_DIR, 'lua_scripts'),
    stateRequestMs: 2000,
    peerHostAuth: false,
  };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Environment variable → config field, with its validator. */
const ENV: Record<string, [keyof ServerConfig, z.ZodType]> = {
  PORT: ['port', int('PORT', 0, 65535)],
  HOST: ['host', z.string().min(1, 'HOST must not be empty')],
  ICE_SERVERS: [
    'iceServers',
    z
      .string()
      .transform((s, ctx) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'ICE_SERVERS must be JSON, e.g. [{"urls":"stun:stun.example.org"}]' });
          return z.NEVER;
        }
      })
      .pipe(z.array(iceServerSchema, { error: 'ICE_SERVERS must be a JSON array of {urls, username?, credential?}' })),
  ],
  MAX_ROOMS: ['maxRooms', int('MAX_ROOMS', 1, 1_000_000)],
  MAX_PLAYERS: ['maxPlayers', int('MAX_PLAYERS', 1, 1000)],
  ROOM_TTL_MS: ['roomTtlMs', int('ROOM_TTL_MS', 100, 7 * 24 * 3600_000)],
  MAX_MESSAGE_BYTES: ['maxMessageBytes', int('MAX_MESSAGE_BYTES', 64, 16 * 1024 * 1024)],
  MAX_FRAME_BYTES: ['maxFrameBytes', int('MAX_FRAME_BYTES', 1024, 64 * 1024 * 1024)],
  RATE_LIMIT_PER_SEC: ['rateLimitPerSec', int('RATE_LIMIT_PER_SEC', 1, 100_000)],
  LOOKUPS_PER_MINUTE: ['lookupsPerMinute', int('LOOKUPS_PER_MINUTE', 1, 1_000_000)],
  CREATES_PER_MINUTE: ['createsPerMinute', int('CREATES_PER_MINUTE', 1, 1_000_000)],
  SNAPSHOT_HZ: ['snapshotHz', int('SNAPSHOT_HZ', 1, 60)],
  ROOM_WORKERS: ['roomWorkers', int('ROOM_WORKERS', 0, 64)],
  MAX_BUFFERED_BYTES: ['maxBufferedBytes', int('MAX_BUFFERED_BYTES', 1024, 1024 * 1024 * 1024)],
  RECONNECT_GRACE_MS: ['reconnectGraceMs', int('RECONNECT_GRACE_MS', 0, 3600_000)],
  LOG_LEVEL: ['logLevel', z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })],
  DIST_DIR: ['distDir', z.string().min(1)],
  WASM_PATH: ['wasmPath', z.string().min(1)],
  LUA_DIR: ['luaDir', z.string().min(1)],
  STATE_REQUEST_MS: ['stateRequestMs', int('STATE_REQUEST_MS', 0, 3600_000)],
  PEER_HOST_AUTH: [
    'peerHostAuth',
    z.enum(['0', '1', 'true', 'false'], { error: 'PEER_HOST_AUTH must be 1/0/true/false' }).transform((v) => v === '1' || v === 'true'),
  ],
};

export const ENV_VARS = Object.keys(ENV);

/** Reads the environment; unset or empty variables keep their defaults. */
export function loadConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const cfg = defaultConfig();
  const out = cfg as unknown as Record<string, unknown>;
  for (const [name, [key, schema]] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const r = schema.safeParse(raw.trim());
    if (!r.success) throw new Error(`invalid ${name}=${JSON.stringify(raw)}: ${r.error.issues.map((i) => i.message).join('; ')}`);
    out[key] = r.data;
  }
  for (const k of ['distDir', 'wasmPath', 'luaDir'] as const) cfg[k] = path.resolve(ROOT_DIR, cfg[k]);
  return cfg;
}
