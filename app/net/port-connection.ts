/**
 * Connection over a MessagePort: between the host's main thread and its Web Worker (the host's
 * own player, and every PeerJS peer bridged into the worker). Works on both sides.
 * Wire: {t:'f', d: frame, ch?} | {t:'c', reason} | {t:'b', n: bufferedAmount}.
 */
import { BaseConnection, frameBytes } from '../../core/net/base';
import type { Connection, Frame, TransportKind } from '../../core/net/transport';

type PortMsg =
  | { t: 'f'; d: Frame; ch?: 'reliable' | 'unreliable' }
  | { t: 'c'; reason: string }
  | { t: 'b'; n: number };

export class PortConnection extends BaseConnection {
  private remoteBuffered = 0;

  constructor(
    private readonly port: MessagePort,
    readonly id: string,
    readonly kind: TransportKind,
  ) {
    super();
    port.onmessage = (e: MessageEvent<PortMsg>) => {
      const m = e.data;
      if (m.t === 'f') this.deliver(m.d);
      else if (m.t === 'c') this.fireClose(m.reason);
      else if (m.t === 'b') this.remoteBuffered = m.n;
    };
    port.start();
  }

  get bufferedAmount(): number {
    return this.remoteBuffered;
  }

  send(frame: Frame, channel?: 'reliable' | 'unreliable'): void {
    if (this.closed) return;
    this.bytesOut += frameBytes(frame);
    const msg: PortMsg = channel ? { t: 'f', d: frame, ch: channel } : { t: 'f', d: frame };
    this.port.postMessage(msg);
  }

  close(_code?: number, reason = 'closed'): void {
    if (this.closed) return;
    this.port.postMessage({ t: 'c', reason } satisfies PortMsg);
    this.fireClose(reason);
  }

  protected override fireClose(reason: string): boolean {
    if (!super.fireClose(reason)) return false;
    setTimeout(() => this.port.close(), 0);
    return true;
  }
}

/**
 * Bridge a Connection (e.g. a PeerJS peer on the main thread) onto a MessagePort whose other end
 * is a PortConnection inside the worker. Frames flow both ways; channel hints are kept; closing
 * either side closes the other. The remote's buffered amount is reported every 500 ms.
 */
export function bridgeToPort(conn: Connection, port: MessagePort): void {
  let closed = false;
  conn.onMessage((f) => port.postMessage({ t: 'f', d: f } satisfies PortMsg));
  conn.onClose((reason) => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    port.postMessage({ t: 'c', reason } satisfies PortMsg);
    setTimeout(() => port.close(), 0);
  });
  port.onmessage = (e: MessageEvent<PortMsg>) => {
    const m = e.data;
    if (m.t === 'f') conn.send(m.d, m.ch);
    else if (m.t === 'c') {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      conn.close(1000, m.reason);
    }
  };
  port.start();
  const timer = setInterval(() => {
    if (!closed) port.postMessage({ t: 'b', n: conn.bufferedAmount } satisfies PortMsg);
  }, 500);
}
