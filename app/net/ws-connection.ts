/** Client-side WebSocket Connection (relay through the server, or a server-hosted room). */
import { BaseConnection, frameBytes } from '../../core/net/base';
import type { Frame, TransportKind } from '../../core/net/transport';

export class WsConnection extends BaseConnection {
  readonly id: string;

  constructor(
    private readonly ws: WebSocket,
    readonly kind: TransportKind,
  ) {
    super();
    this.id = `ws-${Math.random().toString(36).slice(2, 10)}`;
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('message', (e) => {
      this.deliver(typeof e.data === 'string' ? e.data : new Uint8Array(e.data as ArrayBuffer));
    });
    ws.addEventListener('close', (e) => this.fireClose(e.reason || `socket closed (${e.code})`));
    ws.addEventListener('error', () => this.fireClose('socket error'));
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(frame: Frame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.bytesOut += frameBytes(frame);
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
