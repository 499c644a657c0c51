/** Client-side WebSocket Connection (relay through the server, or a server-hosted room). */
import type { Connection, Frame, TransportKind } from '../../core/net/transport';

export class WsConnection implements Connection {
  readonly id: string;
  private msgCbs: ((f: Frame) => void)[] = [];
  private closeCbs: ((r: string) => void)[] = [];
  private pending: Frame[] = [];
  private closed = false;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly kind: TransportKind,
  ) {
    this.id = `ws-${Math.random().toString(36).slice(2, 10)}`;
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('message', (e) => {
      const f: Frame = typeof e.data === 'string' ? e.data : new Uint8Array(e.data as ArrayBuffer);
      this.bytesIn += typeof f === 'string' ? f.length : f.byteLength;
      if (this.msgCbs.length === 0) this.pending.push(f);
      else for (const cb of this.msgCbs) cb(f);
    });
    ws.addEventListener('close', (e) => this.fireClose(e.reason || `socket closed (${e.code})`));
    ws.addEventListener('error', () => this.fireClose('socket error'));
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(frame: Frame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.bytesOut += typeof frame === 'string' ? frame.length : frame.byteLength;
    this.ws.send(frame as string | ArrayBufferView<ArrayBuffer>);
  }

  close(code = 1000, reason = 'closed'): void {
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.close();
    }
    this.fireClose(reason);
  }

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

  private fireClose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const cb of this.closeCbs) cb(reason);
    this.closeCbs = [];
  }
}

/** Opens a WebSocket; rejects if it is not open within timeoutMs. */
export function openWebSocket(url: string, kind: TransportKind, timeoutMs = 5000): Promise<WsConnection> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    // Wrap before open so no early message is lost.
    const conn = new WsConnection(ws, kind);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error('WebSocket connection timed out'));
    }, timeoutMs);
    ws.addEventListener('open', () => {
      clearTimeout(timer);
      resolve(conn);
    });
    ws.addEventListener('close', (e) => {
      clearTimeout(timer);
      reject(new Error(e.reason || `WebSocket closed (${e.code})`));
    });
  });
}
