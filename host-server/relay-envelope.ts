/**
 * Server side of the host-link envelope: a thin layer over core/protocol/relay.ts (the codec
 * shared with the browser host), shaped for HostLink.
 */
import type { Frame } from '../core/net/transport';
import type { ErrorCode } from '../core/protocol/messages';
import {
  wrapRelay,
  encodeHostLink,
  decodeHostLinkToServer,
  DEFAULT_MAX_HOST_LINK_BYTES,
} from '../core/protocol/relay';

export type FromHost =
  | { kind: 'frame'; conn: string; frame: Frame }
  | { kind: 'close'; conn: string; reason: string }
  | { kind: 'room_info'; players: number; capacity: number; mode: string }
  | { kind: 'state'; blob: Uint8Array }
  | { kind: 'error'; code: ErrorCode; message: string };

export function wrap(conn: string, frame: Frame): Frame {
  return wrapRelay(conn, frame);
}

export function encodeOpen(conn: string): string {
  return encodeHostLink({ type: 'relay_open', conn });
}

export function encodeClose(conn: string, reason: string): string {
  return encodeHostLink({ type: 'relay_close', conn, reason: reason.slice(0, 200) });
}

export function encodeStateRequest(): string {
  return encodeHostLink({ type: 'state_request' });
}

export function encodeHostLeft(): string {
  return JSON.stringify({ type: 'host_left' });
}

export function decodeFromHost(frame: Frame, maxBytes = DEFAULT_MAX_HOST_LINK_BYTES): FromHost {
  const r = decodeHostLinkToServer(frame, maxBytes);
  if (!r.ok) return { kind: 'error', code: r.error.code, message: r.error.message };
  const m = r.msg;
  switch (m.type) {
    case 'relay':
      return { kind: 'frame', conn: m.conn, frame: m.frame };
    case 'relay_close':
      return { kind: 'close', conn: m.conn, reason: m.reason };
    case 'room_info':
      return { kind: 'room_info', players: m.players, capacity: m.capacity, mode: m.mode };
    case 'state':
      return { kind: 'state', blob: m.blob };
  }
}
