/**
 * PeerJS transport. A logical Connection is a pair of DataConnections to the same peer: a
 * reliable ordered one ("r": control, roster, hello) and an unordered one ("u": snapshots and
 * inputs). Both carry raw frames (string or binary). The host pairs them by `metadata.pair`.
 */
import { Peer, type DataConnection, type PeerOptions } from 'peerjs';
import { BaseConnection, frameBytes } from '../../core/net/base';
import type { Connection, Frame, Listener } from '../../core/net/transport';

export interface PeerServerConfig {
  host: string;
  port: number;
  path: string;
  secure: boolean;
  iceServers: RTCIceServer[];
}

export function peerOptions(cfg: PeerServerConfig): PeerOptions {
  return {
    host: cfg.host,
    port: cfg.port,
    path: cfg.path,
    secure: cfg.secure,
    debug: 0,
    config: { iceServers: cfg.iceServers },
  };
}

/** Signaling server of this origin (the host-server mounts PeerJS at /peerjs). */
export function originPeerConfig(iceServers: RTCIceServer[]): PeerServerConfig {
  const secure = location.protocol === 'https:';
  return {
    host: location.hostname,
    port: Number(location.port) || (secure ? 443 : 80),
    path: '/peerjs',
    secure,
    iceServers,
  };
}

function toFrame(data: unknown): Frame | null {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

export class PeerConnection extends BaseConnection {
  readonly kind = 'webrtc' as const;
  private unrel: DataConnection | null = null;

  constructor(
    readonly id: string,
    private readonly rel: DataConnection,
  ) {
    super();
    this.listen(rel);
    rel.on('close', () => this.fireClose('peer connection closed'));
    rel.on('error', (e) => this.fireClose(`peer connection error: ${e.message}`));
    // ICE failure / disconnect is not always reported as 'close' by PeerJS.
    rel.peerConnection?.addEventListener('iceconnectionstatechange', () => {
      const s = rel.peerConnection?.iceConnectionState;
      if (s === 'failed' || s === 'closed') this.fireClose(`WebRTC ${s}`);
    });
  }

  attachUnreliable(dc: DataConnection): void {
    if (this.closed) {
      dc.close();
      return;
    }
    this.unrel = dc;
    this.listen(dc);
    dc.on('close', () => {
      if (this.unrel === dc) this.unrel = null;
    });
  }

  private listen(dc: DataConnection): void {
    dc.on('data', (data) => {
      const f = toFrame(data);
      if (f !== null) this.deliver(f);
    });
  }

  get bufferedAmount(): number {
    const a = this.rel.dataChannel?.bufferedAmount ?? 0;
    const b = this.unrel?.dataChannel?.bufferedAmount ?? 0;
    return a + b;
  }

  send(frame: Frame, channel: 'reliable' | 'unreliable' = 'reliable'): void {
    if (this.closed) return;
    const dc = channel === 'unreliable' && this.unrel?.open ? this.unrel : this.rel;
    if (!dc.open) return;
    this.bytesOut += frameBytes(frame);
    dc.send(frame);
  }

  close(_code?: number, reason = 'closed'): void {
    if (this.closed) return;
    // Let the reliable channel flush its last frames (e.g. kicked / host_left) first.
    setTimeout(() => {
      this.unrel?.close();
      this.rel.close();
    }, 100);
    this.fireClose(reason);
  }
}

function randomId(): string {
  const b = new Uint8Array(9);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Opens a signaling connection (a Peer with a random id); rejects on error or timeout. */
export function openPeer(cfg: PeerServerConfig, id: string | null, timeoutMs: number): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const peer = id ? new Peer(id, peerOptions(cfg)) : new Peer(peerOptions(cfg));
    const timer = setTimeout(() => {
      peer.destroy();
      reject(new Error('signaling server timed out'));
    }, timeoutMs);
    peer.once('open', () => {
      clearTimeout(timer);
      resolve(peer);
    });
    peer.once('error', (err) => {
      clearTimeout(timer);
      peer.destroy();
      reject(err);
    });
  });
}

/**
 * Connect to the host's peer id; resolves with the Connection once the reliable channel is open
 * (the unordered one is attached when it opens). Rejects after timeoutMs (WebRTC blocked).
 */
export function connectToHost(peer: Peer, hostPeerId: string, timeoutMs: number): Promise<PeerConnection> {
  return new Promise((resolve, reject) => {
    const pair = randomId();
    let done = false;
    const rel = peer.connect(hostPeerId, { reliable: true, serialization: 'raw', metadata: { pair, ch: 'r' } });
    const unrel = peer.connect(hostPeerId, { reliable: false, serialization: 'raw', metadata: { pair, ch: 'u' } });
    const fail = (why: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      rel.close();
      unrel.close();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail(`WebRTC did not connect within ${timeoutMs} ms`), timeoutMs);
    peer.on('error', (err) => fail(`WebRTC error: ${err.type ?? err.message}`));
    rel.on('error', (err) => fail(`WebRTC error: ${err.message}`));
    rel.once('open', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const conn = new PeerConnection(`rtc-${pair}`, rel);
      if (unrel.open) conn.attachUnreliable(unrel);
      else unrel.once('open', () => conn.attachUnreliable(unrel));
      resolve(conn);
    });
  });
}

/** Host side: accepts PeerJS DataConnections and pairs them into Connections. */
export class PeerListener implements Listener {
  private cbs: ((c: Connection) => void)[] = [];
  private byPair = new Map<string, PeerConnection>();
  private waitingUnrel = new Map<string, DataConnection>();

  constructor(private readonly peer: Peer) {
    peer.on('connection', (dc) => this.accept(dc));
  }

  private accept(dc: DataConnection): void {
    const meta = (dc.metadata ?? {}) as { pair?: unknown; ch?: unknown };
    const pair = typeof meta.pair === 'string' && meta.pair.length <= 64 ? meta.pair : null;
    if (!pair || (meta.ch !== 'r' && meta.ch !== 'u')) {
      dc.close();
      return;
    }
    dc.once('open', () => {
      if (meta.ch === 'r') {
        if (this.byPair.has(pair)) {
          dc.close();
          return;
        }
        const conn = new PeerConnection(`rtc-${pair}`, dc);
        this.byPair.set(pair, conn);
        conn.onClose(() => this.byPair.delete(pair));
        const u = this.waitingUnrel.get(pair);
        if (u) {
          this.waitingUnrel.delete(pair);
          conn.attachUnreliable(u);
        }
        for (const cb of this.cbs) cb(conn);
      } else {
        const conn = this.byPair.get(pair);
        if (conn) conn.attachUnreliable(dc);
        else {
          this.waitingUnrel.set(pair, dc);
          setTimeout(() => {
            if (this.waitingUnrel.get(pair) === dc) {
              this.waitingUnrel.delete(pair);
              dc.close();
            }
          }, 10_000);
        }
      }
    });
  }

  onConnection(cb: (conn: Connection) => void): void {
    this.cbs.push(cb);
  }

  close(): void {
    for (const c of this.byPair.values()) c.close(1001, 'host closed');
    this.byPair.clear();
    this.peer.destroy();
  }
}
