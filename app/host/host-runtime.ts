/**
 * Main-thread side of a browser-hosted room: starts the simulation worker, listens for PeerJS
 * peers (DataConnections must live on the main thread) and bridges each one into the worker
 * over its own MessagePort, and gives the host's own player a local Connection.
 */
import type { Peer } from 'peerjs';
import type { Connection } from '../../core/net/transport';
import { wsUrl, type RoomCreated } from '../api';
import { PeerListener, openPeer, originPeerConfig } from '../net/peer-connection';
import { PortConnection, bridgeToPort } from '../net/port-connection';
import type { FromWorker, ToWorker, WorkerTelemetry } from './messages';

export class HostRuntime {
  private listener: PeerListener | null = null;
  private peers = new Set<Connection>();
  private telemetryCbs: ((t: WorkerTelemetry) => void)[] = [];
  private statusCbs: ((s: { signaling: string; hostLink: string }) => void)[] = [];
  private scriptCbs: ((r: Extract<FromWorker, { type: 'script_result' }>) => void)[] = [];
  status = { signaling: 'connecting', hostLink: 'connecting' };
  modes: readonly string[] = [];
  lastTelemetry: WorkerTelemetry | null = null;
  private localSeq = 0;

  private constructor(
    private readonly worker: Worker,
    readonly room: RoomCreated,
  ) {
    worker.addEventListener('message', (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.type === 'telemetry') {
        this.lastTelemetry = m.t;
        for (const cb of this.telemetryCbs) cb(m.t);
      } else if (m.type === 'hostlink') this.setStatus({ hostLink: m.status });
      else if (m.type === 'script_result') for (const cb of this.scriptCbs) cb(m);
    });
    window.addEventListener('pagehide', this.onPageHide);
  }

  /** Start the worker and wait until the simulation is running. */
  static async start(room: RoomCreated, mode?: string): Promise<HostRuntime> {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'room-host' });
    const rt = new HostRuntime(worker, room);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the game engine did not start within 15 s')), 15_000);
      worker.addEventListener('message', (e: MessageEvent<FromWorker>) => {
        if (e.data.type === 'ready') {
          clearTimeout(timer);
          rt.modes = e.data.modes;
          resolve();
        } else if (e.data.type === 'fatal') {
          clearTimeout(timer);
          reject(new Error(`the game engine failed to start: ${e.data.message}`));
        }
      });
      worker.addEventListener('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`the game engine failed to start: ${e.message || 'worker error'}`));
      });
    });
    const hostLinkUrl = wsUrl(`/ws?room=${encodeURIComponent(room.code)}&role=host&token=${encodeURIComponent(room.hostToken)}`);
    rt.post({ type: 'init', code: room.code, hostToken: room.hostToken, mode, hostLinkUrl, capacity: room.capacity });
    await ready;
    rt.listen().catch(() => undefined);
    return rt;
  }

  private post(m: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  private setStatus(s: Partial<HostRuntime['status']>): void {
    this.status = { ...this.status, ...s };
    for (const cb of this.statusCbs) cb(this.status);
  }

  /** PeerJS signaling under the room's secret host peer id; peers are bridged into the worker. */
  private async listen(): Promise<void> {
    let peer: Peer;
    try {
      peer = await openPeer(originPeerConfig(this.room.iceServers ?? []), this.room.hostPeerId, 8000);
    } catch (e) {
      this.setStatus({ signaling: `unavailable (${(e as Error).message})` });
      return;
    }
    this.setStatus({ signaling: 'open' });
    peer.on('disconnected', () => {
      this.setStatus({ signaling: 'reconnecting' });
      setTimeout(() => {
        if (!peer.destroyed) peer.reconnect();
      }, 1000);
    });
    peer.on('open', () => this.setStatus({ signaling: 'open' }));
    this.listener = new PeerListener(peer);
    this.listener.onConnection((conn) => {
      this.peers.add(conn);
      conn.onClose(() => this.peers.delete(conn));
      const ch = new MessageChannel();
      bridgeToPort(conn, ch.port1);
      this.post({ type: 'connect', id: conn.id, kind: 'webrtc', port: ch.port2 }, [ch.port2]);
    });
  }

  /** The host's own player: a Connection into the worker. */
  connectLocal(): PortConnection {
    const ch = new MessageChannel();
    const id = `local-${++this.localSeq}`;
    this.post({ type: 'connect', id, kind: 'local', port: ch.port2 }, [ch.port2]);
    return new PortConnection(ch.port1, id, 'local');
  }

  /** Hot reload of a rules file (dev: lua_scripts/*.lua changed on disk). */
  loadScript(name: string, code: string): void {
    this.post({ type: 'script', name, code });
  }

  onTelemetry(cb: (t: WorkerTelemetry) => void): void {
    this.telemetryCbs.push(cb);
  }

  onStatus(cb: (s: HostRuntime['status']) => void): void {
    this.statusCbs.push(cb);
  }

  onScriptResult(cb: (r: Extract<FromWorker, { type: 'script_result' }>) => void): void {
    this.scriptCbs.push(cb);
  }

  get peerCount(): number {
    return this.peers.size;
  }

  /** Tab closing: tell WebRTC peers right away (the worker may not get to run again). */
  private onPageHide = (): void => {
    for (const c of this.peers) {
      try {
        c.send(JSON.stringify({ type: 'host_left' }));
      } catch {
        /* closing anyway */
      }
    }
    this.post({ type: 'stop', reason: 'host_left' });
  };

  stop(reason = 'host_left'): void {
    window.removeEventListener('pagehide', this.onPageHide);
    this.post({ type: 'stop', reason });
    setTimeout(() => this.worker.terminate(), 300);
    this.listener?.close();
  }
}
