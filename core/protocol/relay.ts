/**
 * Host link ("relay") envelope between the server and a browser host:
 *   /ws?room=CODE&role=host&token=HOSTTOKEN
 *
 * server -> host:  relay_open {conn} | relay_close {conn, reason} | state_request {}
 *                  | a relayed client frame wrapped with its conn id
 * host -> server:  a frame for a relayed client wrapped with its conn id | relay_close {conn, reason}
 *                  | room_info {players, capacity, mode} | state (binary: RoomHost.serialize())
 *
 * Wrapping: a text frame becomes JSON {"type":"relay","conn":ID,"data":TEXT}; a binary frame
 * becomes [0xF1][uvar len][conn id UTF-8][payload]. State upload: [0xF2][blob].
 *
 * RelayHub (below) turns the host side of the link into a Listener of Connections (kind 'relay').
 */
import { z } from 'zod';
import type { Connection, Frame, Listener } from '../net/transport';
import { BinaryError, ByteReader, ByteWriter } from './bytes';
import type { DecodeResult, ErrorCode } from './messages';

export const enum HostLinkBinary {
  Relay = 0xf1,
  State = 0xf2,
}

/** Max frame on the host link: the max relayed frame plus envelope, or a state blob. */
export const DEFAULT_MAX_HOST_LINK_BYTES = 8 * 1024 * 1024;

export const ConnIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/);

const RelayTextSchema = z.object({ type: z.literal('relay'), conn: ConnIdSchema, data: z.string() });
const RelayOpenSchema = z.object({ type: z.literal('relay_open'), conn: ConnIdSchema });
const RelayCloseSchema = z.object({ type: z.literal('relay_close'), conn: ConnIdSchema, reason: z.string().max(200) });
const StateRequestSchema = z.object({ type: z.literal('state_request') });
const RoomInfoSchema = z.object({
  type: z.literal('room_info'),
  players: z.number().int().min(0),
  capacity: z.number().int().min(0),
  mode: z.string().max(64),
});

const ToHostJsonSchema = z.discriminatedUnion('type', [RelayTextSchema, RelayOpenSchema, RelayCloseSchema, StateRequestSchema]);
const ToServerJsonSchema = z.discriminatedUnion('type', [RelayTextSchema, RelayCloseSchema, RoomInfoSchema]);

export type RelayOpenMsg = z.infer<typeof RelayOpenSchema>;
export type RelayCloseMsg = z.infer<typeof RelayCloseSchema>;
export type RoomInfoMsg = z.infer<typeof RoomInfoSchema>;
export interface RelayFrameMsg {
  type: 'relay';
  conn: string;
  frame: Frame;
}
export interface StateMsg {
  type: 'state';
  blob: Uint8Array;
}

/** Messages the browser host receives from the server. */
export type HostLinkToHost = RelayFrameMsg | RelayOpenMsg | RelayCloseMsg | { type: 'state_request' };
/** Messages the server receives from the browser host. */
export type HostLinkToServer = RelayFrameMsg | RelayCloseMsg | RoomInfoMsg | StateMsg;

function fail<T>(code: ErrorCode, message: string): DecodeResult<T> {
  return { ok: false, error: { code, message } };
}

/** Wrap a frame for/from a relayed client with its conn id. */
export function wrapRelay(conn: string, frame: Frame): Frame {
  if (typeof frame === 'string') return JSON.stringify({ type: 'relay', conn, data: frame });
  const w = new ByteWriter(frame.byteLength + conn.length + 8);
  w.u8(HostLinkBinary.Relay).str(conn).bytes(frame);
  return w.finish();
}

/** Control messages of the host link (JSON text). */
export function encodeHostLink(msg: RelayOpenMsg | RelayCloseMsg | RoomInfoMsg | { type: 'state_request' }): string {
  return JSON.stringify(msg);
}

export function encodeStateFrame(blob: Uint8Array): Uint8Array {
  const out = new Uint8Array(blob.byteLength + 1);
  out[0] = HostLinkBinary.State;
  out.set(blob, 1);
  return out;
}

function decodeBinary(frame: Uint8Array, allowState: boolean): DecodeResult<RelayFrameMsg | StateMsg> {
  if (frame.byteLength === 0) return fail('bad_binary', 'empty binary frame');
  if (frame[0] === HostLinkBinary.State && allowState) return { ok: true, msg: { type: 'state', blob: frame.slice(1) } };
  if (frame[0] !== HostLinkBinary.Relay) return fail('unknown_type', `unknown host-link binary type 0x${frame[0].toString(16)}`);
  try {
    const r = new ByteReader(frame, 1);
    const conn = r.str(64);
    const id = ConnIdSchema.safeParse(conn);
    if (!id.success) return fail('bad_message', 'bad conn id');
    return { ok: true, msg: { type: 'relay', conn, frame: frame.slice(r.pos) } };
  } catch (e) {
    return fail('bad_binary', e instanceof BinaryError ? e.message : 'malformed binary frame');
  }
}

function decodeText<S extends z.ZodType>(frame: string, schema: S): DecodeResult<z.infer<S>> {
  let v: unknown;
  try {
    v = JSON.parse(frame);
  } catch (e) {
    return fail('bad_json', `invalid JSON: ${(e as Error).message}`);
  }
  const res = schema.safeParse(v);
  if (!res.success) {
    const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
    return fail('bad_message', `invalid host-link message${typeof t === 'string' ? ` "${t.slice(0, 40)}"` : ''}: ${res.error.issues[0]?.message ?? ''}`);
  }
  return { ok: true, msg: res.data };
}

function tooLarge(frame: Frame, max: number): boolean {
  return typeof frame === 'string' ? frame.length > max : frame.byteLength > max;
}

/** Decode a frame the browser host received on its host link. Never throws. */
export function decodeHostLinkToHost(frame: Frame, maxBytes = DEFAULT_MAX_HOST_LINK_BYTES): DecodeResult<HostLinkToHost> {
  if (tooLarge(frame, maxBytes)) return fail('too_large', `frame exceeds ${maxBytes} bytes`);
  if (typeof frame !== 'string') return decodeBinary(frame, false) as DecodeResult<HostLinkToHost>;
  const r = decodeText(frame, ToHostJsonSchema);
  if (!r.ok) return r;
  const m = r.msg;
  if (m.type === 'relay') return { ok: true, msg: { type: 'relay', conn: m.conn, frame: m.data } };
  return { ok: true, msg: m };
}

/** Decode a frame the server received from a browser host. Never throws. */
export function decodeHostLinkToServer(frame: Frame, maxBytes = DEFAULT_MAX_HOST_LINK_BYTES): DecodeResult<HostLinkToServer> {
  if (tooLarge(frame, maxBytes)) return fail('too_large', `frame exceeds ${maxBytes} bytes`);
  if (typeof frame !== 'string') return decodeBinary(frame, true);
  const r = decodeText(frame, ToServerJsonSchema);
  if (!r.ok) return r;
  const m = r.msg;
  if (m.type === 'relay') return { ok: true, msg: { type: 'relay', conn: m.conn, frame: m.data } };
  return { ok: true, msg: m };
}

/** Unwrap a relay envelope (either direction); null if the frame is not one. */
export function unwrapRelay(frame: Frame): { conn: string; frame: Frame } | null {
  const r = typeof frame === 'string' ? decodeText(frame, RelayTextSchema) : decodeBinary(frame, false);
  if (!r.ok) return null;
  const m = r.msg as { type: string; conn: string; data?: string; frame?: Frame };
  if (m.type !== 'relay') return null;
  return { conn: m.conn, frame: m.data ?? (m.frame as Frame) };
}

// ---------------------------------------------------------------- host side: RelayHub

class RelayedConnection implements Connection {
  readonly kind = 'relay' as const;
  private msgCbs: ((f: Frame) => void)[] = [];
  private closeCbs: ((r: string) => void)[] = [];
  closed = false;

  constructor(
    readonly id: string,
    private readonly hub: RelayHub,
  ) {}

  get bufferedAmount(): number {
    return this.hub.linkBufferedAmount();
  }

  send(frame: Frame): void {
    if (this.closed) return;
    this.hub.sendLink(wrapRelay(this.id, frame));
  }

  close(_code?: number, reason = 'closed'): void {
    if (this.closed) return;
    this.hub.sendLink(encodeHostLink({ type: 'relay_close', conn: this.id, reason: reason.slice(0, 200) }));
    this.remoteClosed(reason);
  }

  onMessage(cb: (frame: Frame) => void): void {
    this.msgCbs.push(cb);
  }

  onClose(cb: (reason: string) => void): void {
    this.closeCbs.push(cb);
  }

  deliver(frame: Frame): void {
    if (this.closed) return;
    for (const cb of this.msgCbs) cb(frame);
  }

  remoteClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.forget(this.id);
    for (const cb of this.closeCbs) cb(reason);
  }
}

/**
 * The browser host's side of the relay: feed it every frame from the host link; it emits one
 * Connection (kind 'relay') per relayed client, to attach to the RoomHost.
 */
export class RelayHub implements Listener {
  private conns = new Map<string, RelayedConnection>();
  private connCbs: ((c: Connection) => void)[] = [];
  private stateRequestCbs: (() => void)[] = [];

  constructor(
    readonly sendLink: (frame: Frame) => void,
    readonly linkBufferedAmount: () => number = () => 0,
  ) {}

  onConnection(cb: (conn: Connection) => void): void {
    this.connCbs.push(cb);
  }

  onStateRequest(cb: () => void): void {
    this.stateRequestCbs.push(cb);
  }

  /** Handle one frame from the server. Returns the decode error, if any (the frame is ignored). */
  handle(frame: Frame): { code: ErrorCode; message: string } | null {
    const r = decodeHostLinkToHost(frame);
    if (!r.ok) return r.error;
    const m = r.msg;
    switch (m.type) {
      case 'relay_open': {
        if (this.conns.has(m.conn)) return { code: 'bad_request', message: `conn ${m.conn} already open` };
        const c = new RelayedConnection(m.conn, this);
        this.conns.set(m.conn, c);
        for (const cb of this.connCbs) cb(c);
        return null;
      }
      case 'relay_close':
        this.conns.get(m.conn)?.remoteClosed(m.reason);
        return null;
      case 'relay': {
        const c = this.conns.get(m.conn);
        if (!c) return { code: 'bad_request', message: `unknown conn ${m.conn}` };
        c.deliver(m.frame);
        return null;
      }
      case 'state_request':
        for (const cb of this.stateRequestCbs) cb();
        return null;
    }
  }

  /** The host link itself went down: every relayed connection is closed. */
  close(reason = 'host link closed'): void {
    for (const c of [...this.conns.values()]) c.remoteClosed(reason);
  }

  get size(): number {
    return this.conns.size;
  }

  forget(id: string): void {
    this.conns.delete(id);
  }
}
