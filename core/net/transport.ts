/**
 * The one small interface every transport implements: a PeerJS DataConnection, a WebSocket
 * (server side or client side), a relayed connection through the server, or a worker port.
 * The protocol layer (core/protocol) and the room host (core/host) see only this.
 */
export type TransportKind = 'webrtc' | 'ws' | 'relay' | 'local';

/** A frame on the wire: JSON text or a binary message. */
export type Frame = string | Uint8Array;

export interface Connection {
  readonly id: string;
  readonly kind: TransportKind;
  /** `unreliable` may be dropped or reordered (snapshots, inputs); default reliable. */
  send(frame: Frame, channel?: 'reliable' | 'unreliable'): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet sent (slow-consumer detection); 0 if unknown. */
  readonly bufferedAmount: number;
  onMessage(cb: (frame: Frame) => void): void;
  onClose(cb: (reason: string) => void): void;
}

/** Accepts incoming connections (a room host listens on one or more of these). */
export interface Listener {
  onConnection(cb: (conn: Connection) => void): void;
  close(): void;
}
