import type { Connection, Frame, TransportKind } from './transport';

/** Size of a frame on the wire (UTF-16 length for text, a close enough proxy for counters). */
export function frameBytes(f: Frame): number {
  return typeof f === 'string' ? f.length : f.byteLength;
}

/**
 * The listener plumbing every transport adapter shares: message and close callbacks, frames
 * that arrive before anyone listens are kept and handed to the first listener, a close is
 * reported exactly once (also to listeners added after it), byte counters.
 */
export abstract class BaseConnection implements Connection {
  abstract readonly id: string;
  abstract readonly kind: TransportKind;
  abstract readonly bufferedAmount: number;
  abstract send(frame: Frame, channel?: 'reliable' | 'unreliable'): void;
  abstract close(code?: number, reason?: string): void;

  bytesIn = 0;
  bytesOut = 0;
  protected closed = false;
  private msgCbs: ((f: Frame) => void)[] = [];
  private closeCbs: ((r: string) => void)[] = [];
  private pending: Frame[] = [];

  onMessage(cb: (frame: Frame) => void): void {
    this.msgCbs.push(cb);
    if (this.pending.length) {
      const p = this.pending;
      this.pending = [];
      for (const f of p) cb(f);
    }
  }

  onClose(cb: (reason: string) => void): void {
    if (this.closed) cb('closed');
    else this.closeCbs.push(cb);
  }

  /** Hand an incoming frame to the listeners (or keep it for the first one). */
  protected deliver(f: Frame): void {
    this.bytesIn += frameBytes(f);
    if (this.msgCbs.length === 0) this.pending.push(f);
    else for (const cb of this.msgCbs) cb(f);
  }

  /** Mark closed and tell the listeners once; returns false if it was already closed. */
  protected fireClose(reason: string): boolean {
    if (this.closed) return false;
    this.closed = true;
    const cbs = this.closeCbs;
    this.closeCbs = [];
    for (const cb of cbs) cb(reason);
    return true;
  }
}
