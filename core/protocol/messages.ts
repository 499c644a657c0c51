/**
 * Protocol message schemas (zod) and their TypeScript types. One module for every side: the
 * room host, the browser app, the server and the bots. See docs/PROTOCOL.md.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/** Error codes carried by `error {code, message}` (and by decode failures). */
export const ErrorCodes = [
  // decode errors
  'too_large',
  'bad_json',
  'bad_binary',
  'bad_message',
  'unknown_type',
  // session errors
  'not_joined',
  'already_joined',
  'room_full',
  'spoofed_player_id',
  'not_host',
  'rate_limited',
  'unknown_mode',
  'unknown_player',
  'bad_request',
  'slow_consumer',
  'script_error',
  'internal',
  // server errors (host-server: /ws and the host link)
  'room_not_found',
  'forbidden',
  'host_offline',
  'room_server_hosted',
  'server_shutdown',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

const u32 = z.number().int().min(0).max(0xffffffff);
const seqNum = z.number().int().min(0).max(2 ** 48);
const axis = z.number().min(-1).max(1);
const finite = z.number().finite();
const playerId = z.string().min(1).max(64);
const shortText = z.string().max(200);
const direction = z.enum(['up', 'down', 'left', 'right']);

// ---------------------------------------------------------------- client -> host

export const HelloSchema = z.object({
  type: z.literal('hello'),
  name: z
    .string()
    .trim()
    .min(1)
    .max(32)
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'name: no control characters'),
  token: z.string().min(1).max(128).optional(),
  encoding: z.enum(['binary', 'json']).optional(),
  hostToken: z.string().min(1).max(256).optional(),
  v: z.number().int().optional(),
});

/** Most inputs one input message may carry (the newest plus MAX_EARLIER_INPUTS before it). */
export const MAX_EARLIER_INPUTS = 7;

export const InputSchema = z.object({
  type: z.literal('input'),
  seq: seqNum,
  dx: axis,
  dy: axis,
  /**
   * The inputs of the ticks just before this one, oldest first ([dx, dy] of seq - n .. seq - 1):
   * a client sends unchanged inputs every few ticks, each message carrying every tick's input
   * since the last, so the host still applies one input per tick.
   */
  earlier: z.array(z.tuple([axis, axis])).max(MAX_EARLIER_INPUTS).optional(),
  /** piggybacked snapshot ack */
  ack: seqNum.optional(),
  /** legacy: if present it must be the connection's own id */
  player_id: playerId.optional(),
});

/** Extra fields of a legacy action: primitives only. */
const actionExtra = z.union([z.string().max(200), z.number().finite(), z.boolean(), z.null()]);

export const ActionSchema = z
  .object({
    type: z.literal('action'),
    action: z.string().min(1).max(64),
    direction: direction.optional(),
    player_id: playerId.optional(),
  })
  .catchall(actionExtra);

export const AckSchema = z.object({ type: z.literal('ack'), tick: seqNum });
export const PingSchema = z.object({ type: z.literal('ping'), t: finite });
export const PongSchema = z.object({ type: z.literal('pong'), t: finite });
export const LeaveSchema = z.object({ type: z.literal('leave') });
export const SetModeSchema = z.object({ type: z.literal('set_mode'), mode: z.string().min(1).max(64) });
export const LoadModSchema = z.object({
  type: z.literal('load_mod'),
  name: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/, 'mod name: letters, digits, _ . - only'),
  code: z.string().max(256 * 1024),
});
export const KickSchema = z.object({ type: z.literal('kick'), player: playerId, reason: shortText.optional() });

export const ClientMessageSchema = z.discriminatedUnion('type', [
  HelloSchema,
  InputSchema,
  ActionSchema,
  AckSchema,
  PingSchema,
  PongSchema,
  LeaveSchema,
  SetModeSchema,
  LoadModSchema,
  KickSchema,
]);

export type HelloMsg = z.infer<typeof HelloSchema>;
export type InputMsg = z.infer<typeof InputSchema>;
export type ActionMsg = z.infer<typeof ActionSchema>;
export type AckMsg = z.infer<typeof AckSchema>;
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];
/** Every client message type, read off ClientMessageSchema (so the two cannot drift apart). */
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = ClientMessageSchema.options.map((o) => o.shape.type.value);

// ---------------------------------------------------------------- host -> client

export const EntityViewSchema = z.object({
  id: z.number().int().min(0),
  kind: z.enum(['player', 'npc', 'coin', 'powerup', 'wall', 'zone']),
  x: finite,
  y: finite,
  vx: finite,
  vy: finite,
  r: finite,
  h: finite,
  flags: u32,
  variant: z.string().max(64).optional(),
  owner: z.string().max(64).optional(),
});

export const WelcomeSchema = z.object({
  type: z.literal('welcome'),
  v: z.number().int(),
  playerId,
  token: z.string(),
  room: z.string(),
  tick: seqNum,
  mode: z.string(),
  modes: z.array(z.string()),
  arena: z.object({ width: finite, height: finite }),
  snapshotHz: z.number().positive(),
  tickHz: z.number().positive(),
  isHost: z.boolean(),
  encoding: z.enum(['binary', 'json']),
  reconnected: z.boolean(),
});

/** JSON form of a snapshot (json encoding): always the full state, values already dequantized. */
export const JsonSnapshotSchema = z.object({
  type: z.literal('snapshot'),
  tick: seqNum,
  lastInputSeq: seqNum,
  entities: z.array(EntityViewSchema),
});

const QEntitySchema = z.object({
  id: z.number().int().min(0),
  kind: z.number().int().min(0).max(5),
  x: z.number().int(),
  y: z.number().int(),
  vx: z.number().int(),
  vy: z.number().int(),
  r: z.number().int().min(0),
  h: z.number().int().min(0),
  flags: z.number().int().min(0),
  variant: z.string(),
  owner: z.string(),
});
const QUpdateSchema = z.object({
  id: z.number().int().min(0),
  mask: z.number().int().min(1).max(15),
  ex: z.number().int(),
  ey: z.number().int(),
  dvx: z.number().int(),
  dvy: z.number().int(),
  flags: z.number().int().min(0),
  r: z.number().int().min(0),
  h: z.number().int().min(0),
});

/** Header of a binary snapshot (validated on every decode). */
export const SnapshotHeaderSchema = z.object({
  type: z.literal('snapshot_bin'),
  tick: seqNum,
  baseTick: seqNum.nullable(),
  lastInputSeq: seqNum,
});

/** Parsed binary snapshot (structure; reconstruct with core/snapshot applySnapshot). */
export const BinarySnapshotSchema = z.object({
  type: z.literal('snapshot_bin'),
  tick: seqNum,
  baseTick: seqNum.nullable(),
  lastInputSeq: seqNum,
  removed: z.array(z.number().int().min(0)),
  added: z.array(QEntitySchema),
  updated: z.array(QUpdateSchema),
});

export const RosterPlayerSchema = z.object({
  id: playerId,
  name: z.string(),
  score: finite,
  connected: z.boolean(),
  ping: z.number().min(0),
  isHost: z.boolean().optional(),
});
export const RosterSchema = z.object({
  type: z.literal('roster'),
  players: z.array(RosterPlayerSchema),
  mode: z.string(),
});
export const ChatMessageSchema = z.object({ type: z.literal('message'), text: z.string().max(2000) });
export const ScriptErrorSchema = z.object({
  script: z.string(),
  line: z.number().int().optional(),
  message: z.string(),
  hook: z.string().optional(),
});
export const ModResultSchema = z.object({
  type: z.literal('mod_result'),
  name: z.string(),
  ok: z.boolean(),
  error: ScriptErrorSchema.optional(),
});
export const ScriptErrorMsgSchema = z.object({ type: z.literal('script_error'), error: ScriptErrorSchema });
export const ModeSchema = z.object({ type: z.literal('mode'), mode: z.string() });
export const KickedSchema = z.object({ type: z.literal('kicked'), reason: z.string() });
export const HostLeftSchema = z.object({ type: z.literal('host_left') });
export const RoomClosedSchema = z.object({ type: z.literal('room_closed'), reason: z.string() });
export const ErrorSchema = z.object({
  type: z.literal('error'),
  code: z.enum(ErrorCodes),
  message: z.string(),
});

export const ServerMessageSchema = z.discriminatedUnion('type', [
  WelcomeSchema,
  JsonSnapshotSchema,
  BinarySnapshotSchema,
  RosterSchema,
  ChatMessageSchema,
  ModResultSchema,
  ScriptErrorMsgSchema,
  ModeSchema,
  KickedSchema,
  HostLeftSchema,
  RoomClosedSchema,
  ErrorSchema,
  PingSchema,
  PongSchema,
]);

export type WelcomeMsg = z.infer<typeof WelcomeSchema>;
export type JsonSnapshotMsg = z.infer<typeof JsonSnapshotSchema>;
export type BinarySnapshotMsg = z.infer<typeof BinarySnapshotSchema>;
export type RosterMsg = z.infer<typeof RosterSchema>;
export type RosterPlayer = z.infer<typeof RosterPlayerSchema>;
export type ModResultMsg = z.infer<typeof ModResultSchema>;
export type ErrorMsg = z.infer<typeof ErrorSchema>;
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
export type ServerMessageType = ServerMessage['type'];

export type Encoding = 'binary' | 'json';

export interface DecodeError {
  code: ErrorCode;
  message: string;
}
export type DecodeResult<T> = { ok: true; msg: T } | { ok: false; error: DecodeError };
