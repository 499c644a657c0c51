/**
 * Frame codecs. Text frames are always JSON; binary frames start with a message-type byte
 * (BinaryType). Decoders never throw: they return {ok:false, error:{code,message}}. Oversize
 * frames are rejected before any parsing. Every decoded message passes its zod schema (for a
 * binary snapshot: the header; its entity arrays come typed and range-checked from the reader).
 */
import type { Frame } from '../net/transport';
import { BinaryError, ByteReader, ByteWriter, uvarLength, utf8Length, writeUvarAt } from './bytes';
import { readSnapshotBody } from '../snapshot/codec';
import {
  SnapshotHeaderSchema,
  ClientMessageSchema,
  ServerMessageSchema,
  CLIENT_MESSAGE_TYPES,
  MAX_EARLIER_INPUTS,
  type ClientMessage,
  type DecodeResult,
  type Encoding,
  type ErrorCode,
  type ServerMessage,
  type InputMsg,
  type JsonSnapshotMsg,
} from './messages';

/** Largest seq / ack / tick a client message may carry (InputSchema, AckSchema). */
const MAX_SEQ = 2 ** 48;

/** First byte of a binary frame. */
export const enum BinaryType {
  Input = 0x01,
  Ack = 0x02,
  /** An input carrying the inputs of the ticks before it (InputMsg.earlier). */
  Inputs = 0x03,
  Snapshot = 0x10,
}

/** Default frame limit for client -> host (RoomLimits.maxMessageBytes). */
export const DEFAULT_MAX_MESSAGE_BYTES = 4096;
/** Default frame limit for host -> client (JSON snapshots of big rooms). */
export const DEFAULT_MAX_SERVER_FRAME_BYTES = 4 * 1024 * 1024;

export function frameBytes(frame: Frame): number {
  return typeof frame === 'string' ? utf8Length(frame) : frame.byteLength;
}

function fail<T>(code: ErrorCode, message: string): DecodeResult<T> {
  return { ok: false, error: { code, message } };
}

function tooLarge(frame: Frame, maxBytes: number): boolean {
  if (typeof frame === 'string') {
    // UTF-8 bytes >= UTF-16 code units, and <= 3 per code unit.
    if (frame.length > maxBytes) return true;
    if (frame.length * 3 <= maxBytes) return false;
    return utf8Length(frame) > maxBytes;
  }
  return frame.byteLength > maxBytes;
}

/** Checks both decoders make first: a text or bytes frame, within maxBytes, not empty bytes. */
function checkFrame(frame: Frame, maxBytes: number): DecodeResult<never> | null {
  if (typeof frame !== 'string' && !(frame instanceof Uint8Array)) return fail('bad_message', 'frame must be text or bytes');
  if (tooLarge(frame, maxBytes)) return fail('too_large', `frame exceeds ${maxBytes} bytes`);
  if (typeof frame !== 'string' && frame.byteLength === 0) return fail('bad_binary', 'empty binary frame');
  return null;
}

/** A throw while reading a binary frame, as a decode error. */
function binaryFailure<T>(e: unknown): DecodeResult<T> {
  return fail('bad_binary', e instanceof BinaryError ? e.message : 'malformed binary frame');
}

function dropProto(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}

function parseJsonObject(text: string): { ok: true; obj: Record<string, unknown> } | { ok: false; message: string } {
  let v: unknown;
  try {
    v = JSON.parse(text, dropProto);
  } catch (e) {
    return { ok: false, message: `invalid JSON: ${(e as Error).message}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, message: 'a message must be a JSON object' };
  return { ok: true, obj: v as Record<string, unknown> };
}

function issueText(err: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const first = err.issues[0];
  if (!first) return 'invalid message';
  const path = first.path.map(String).join('.');
  return path ? `${path}: ${first.message}` : first.message;
}

/** Quantize an input axis to the i8 wire value (the host sees exactly dequantizeAxis of this). */
export function quantizeAxis(v: number): number {
  if (!Number.isFinite(v)) return 0;
  return Math.max(-127, Math.min(127, Math.round(v * 127)));
}
export function dequantizeAxis(q: number): number {
  return Math.max(-1, Math.min(1, q / 127));
}
/** The axis value the host will apply for a client-side value (binary inputs are quantized). */
export function wireAxis(v: number): number {
  return dequantizeAxis(quantizeAxis(v));
}

// ---------------------------------------------------------------- client -> host

export interface DecodeOptions {
  maxBytes?: number;
}

export function decodeClientMessage(frame: Frame, opts: DecodeOptions = {}): DecodeResult<ClientMessage> {
  const bad = checkFrame(frame, opts.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  if (bad) return bad;
  let candidate: unknown;
  if (typeof frame === 'string') {
    const p = parseJsonObject(frame);
    if (!p.ok) return fail('bad_json', p.message);
    const obj = p.obj;
    if (obj.type === undefined && typeof obj.action === 'string') {
      // Legacy action: {"action":"move","direction":"right","player_id":"player_1"}
      candidate = { ...obj, type: 'action' };
    } else {
      if (typeof obj.type !== 'string') return fail('bad_message', 'missing "type" (or legacy "action")');
      if (!(CLIENT_MESSAGE_TYPES as readonly string[]).includes(obj.type)) return fail('unknown_type', `unknown message type "${obj.type.slice(0, 40)}"`);
      candidate = obj;
    }
  } else {
    try {
      const r = new ByteReader(frame, 1);
      switch (frame[0]) {
        case BinaryType.Input: {
          const seq = r.uvar();
          const dx = dequantizeAxis(r.i8());
          const dy = dequantizeAxis(r.i8());
          const m: InputMsg = { type: 'input', seq, dx, dy };
          if (r.remaining > 0) m.ack = r.uvar();
          if (r.remaining !== 0) return fail('bad_binary', 'trailing bytes after input');
          // The reader yields non-negative integers and axes in [-1, 1]: within InputSchema
          // unless a varint exceeds MAX_SEQ (then the schema below reports it, as for JSON).
          if (seq <= MAX_SEQ && (m.ack === undefined || m.ack <= MAX_SEQ)) return { ok: true, msg: m };
          candidate = m;
          break;
        }
        case BinaryType.Inputs: {
          const seq = r.uvar();
          const n = r.u8();
          if (n < 2 || n > MAX_EARLIER_INPUTS + 1) return fail('bad_binary', `an inputs message carries 2-${MAX_EARLIER_INPUTS + 1} inputs, not ${n}`);
          if (seq < n - 1) return fail('bad_binary', 'inputs before seq 0');
          const earlier: [number, number][] = [];
          for (let i = 0; i < n - 1; i++) earlier.push([dequantizeAxis(r.i8()), dequantizeAxis(r.i8())]);
          const dx = dequantizeAxis(r.i8());
          const dy = dequantizeAxis(r.i8());
          const m: InputMsg = { type: 'input', seq, dx, dy, earlier };
          if (r.remaining > 0) m.ack = r.uvar();
          if (r.remaining !== 0) return fail('bad_binary', 'trailing bytes after inputs');
          if (seq <= MAX_SEQ && (m.ack === undefined || m.ack <= MAX_SEQ)) return { ok: true, msg: m };
          candidate = m;
          break;
        }
        case BinaryType.Ack: {
          const tick = r.uvar();
          if (r.remaining !== 0) return fail('bad_binary', 'trailing bytes after ack');
          if (tick <= MAX_SEQ) return { ok: true, msg: { type: 'ack', tick } };
          candidate = { type: 'ack', tick };
          break;
        }
        default:
          return fail('unknown_type', `unknown binary message type 0x${frame[0].toString(16)}`);
      }
    } catch (e) {
      return binaryFailure(e);
    }
  }
  const res = ClientMessageSchema.safeParse(candidate);
  if (!res.success) return fail('bad_message', issueText(res.error));
  return { ok: true, msg: res.data };
}

/**
 * Encode a client message. With encoding 'binary', input and ack use their compact binary form;
 * every other message (and everything in 'json' mode) is a JSON text frame.
 */
export function encodeClientMessage(msg: ClientMessage, encoding: Encoding = 'binary'): Frame {
  if (encoding === 'binary') {
    if (msg.type === 'input') return encodeBinaryInput(msg);
    if (msg.type === 'ack') return new ByteWriter(8).u8(BinaryType.Ack).uvar(msg.tick).finish();
  }
  return JSON.stringify(msg);
}

function encodeBinaryInput(msg: InputMsg): Uint8Array {
  const earlier = msg.earlier;
  if (earlier && earlier.length > 0) {
    if (earlier.length > MAX_EARLIER_INPUTS) throw new Error(`an input message carries at most ${MAX_EARLIER_INPUTS} earlier inputs`);
    const w = new ByteWriter(24).u8(BinaryType.Inputs).uvar(msg.seq).u8(earlier.length + 1);
    for (const [dx, dy] of earlier) w.i8(quantizeAxis(dx)).i8(quantizeAxis(dy));
    w.i8(quantizeAxis(msg.dx)).i8(quantizeAxis(msg.dy));
    if (msg.ack !== undefined) w.uvar(msg.ack);
    return w.finish();
  }
  const w = new ByteWriter(16).u8(BinaryType.Input).uvar(msg.seq).i8(quantizeAxis(msg.dx)).i8(quantizeAxis(msg.dy));
  if (msg.ack !== undefined) w.uvar(msg.ack);
  return w.finish();
}

// ---------------------------------------------------------------- host -> client

export function decodeServerMessage(frame: Frame, opts: DecodeOptions = {}): DecodeResult<ServerMessage> {
  const bad = checkFrame(frame, opts.maxBytes ?? DEFAULT_MAX_SERVER_FRAME_BYTES);
  if (bad) return bad;
  let candidate: unknown;
  if (typeof frame === 'string') {
    const p = parseJsonObject(frame);
    if (!p.ok) return fail('bad_json', p.message);
    if (typeof p.obj.type !== 'string') return fail('bad_message', 'missing "type"');
    if (p.obj.type === 'snapshot_bin') return fail('bad_message', 'snapshot_bin is binary only');
    candidate = p.obj;
  } else {
    if (frame[0] !== BinaryType.Snapshot) return fail('unknown_type', `unknown binary message type 0x${frame[0].toString(16)}`);
    try {
      const r = new ByteReader(frame, 1);
      const tick = r.uvar();
      const back = r.uvar();
      const lastInputSeq = r.uvar();
      if (back > tick) return fail('bad_binary', 'baseline before tick 0');
      const header = SnapshotHeaderSchema.safeParse({ type: 'snapshot_bin', tick, baseTick: back === 0 ? null : tick - back, lastInputSeq });
      if (!header.success) return fail('bad_message', issueText(header.error));
      // The body's arrays are typed by construction: the reader yields only integers, checks
      // kind indices, masks, string lengths and counts (BinarySnapshotSchema documents the
      // shape; running it over ~150 entities 20 times a second per bot costs more than the
      // rest of the decode).
      const body = readSnapshotBody(r);
      return { ok: true, msg: { ...header.data, ...body } };
    } catch (e) {
      return binaryFailure(e);
    }
  }
  const res = ServerMessageSchema.safeParse(candidate);
  if (!res.success) {
    const t = (candidate as { type?: unknown }).type;
    const known = ServerMessageSchema.options.some((o) => o.shape.type.value === t);
    return fail(known ? 'bad_message' : 'unknown_type', known ? issueText(res.error) : `unknown message type "${String(t).slice(0, 40)}"`);
  }
  return { ok: true, msg: res.data };
}

/** Encode a host -> client message as JSON text (snapshots: see encodeSnapshotFrame). */
export function encodeServerMessage(msg: Exclude<ServerMessage, { type: 'snapshot_bin' }>): string {
  return JSON.stringify(msg);
}

/** Binary snapshot frame: header + a body from core/snapshot encodeSnapshotBody. */
export function encodeSnapshotFrame(tick: number, baseTick: number | null, lastInputSeq: number, body: Uint8Array): Uint8Array {
  // One exact-size allocation per frame (it is built for every client of every snapshot tick).
  const back = baseTick === null ? 0 : tick - baseTick;
  checkUvar(tick);
  checkUvar(back);
  checkUvar(lastInputSeq);
  const out = new Uint8Array(1 + uvarLength(tick) + uvarLength(back) + uvarLength(lastInputSeq) + body.length);
  out[0] = BinaryType.Snapshot;
  let o = writeUvarAt(out, 1, tick);
  o = writeUvarAt(out, o, back);
  o = writeUvarAt(out, o, lastInputSeq);
  out.set(body, o);
  return out;
}

function checkUvar(v: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** 49) throw new BinaryError(`uvar out of range: ${v}`);
}

/**
 * JSON snapshot frame. `entitiesJson` is the JSON text of the entity array (shared by all JSON
 * clients of a tick, so it is stringified once).
 */
export function encodeJsonSnapshot(tick: number, lastInputSeq: number, entitiesJson: string): string {
  return `{"type":"snapshot","tick":${tick},"lastInputSeq":${lastInputSeq},"entities":${entitiesJson}}`;
}

export type { JsonSnapshotMsg };
