/**
 * Test harness: a real RoomHost over a real Simulation, real GameClients over in-memory
 * connections, and a shared virtual clock (host ticks and client updates are driven by hand).
 */
import { createSimulation } from '../../../core/sim';
import type { FullSimulationOptions } from '../../../core/sim';
import { readLuaScripts } from '../../../core/sim/scripts-node';
import { engineWasmBytes } from '../../helpers/engine';
import { RoomHost } from '../../../core/host/room-host';
import type { RoomHostOptions } from '../../../core/host/types';
import { GameClient, type GameClientOptions } from '../../../core/client/game-client';
import { createLocalPair, type LocalConnection, type LocalLinkOptions } from '../../../core/net/local';
import { decodeServerMessage, type ServerMessage } from '../../../core/protocol';
import type { Frame } from '../../../core/net/transport';

export const wasm = engineWasmBytes();
export const scripts = readLuaScripts();
export const HOST_TOKEN = 'host-secret-token';
export const TICK_MS = 1000 / 60;

export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function makeSim(extra: Partial<FullSimulationOptions> = {}) {
  return createSimulation({ wasm, scripts, seed: 7, npcs: 0, ...extra });
}

/** A raw protocol peer (a bot speaking JSON or binary frames by hand). */
export class RawPeer {
  frames: Frame[] = [];
  msgs: ServerMessage[] = [];
  closed: string | null = null;
  constructor(readonly conn: LocalConnection) {
    conn.onMessage((f) => {
      this.frames.push(f);
      const r = decodeServerMessage(f);
      if (r.ok) this.msgs.push(r.msg);
    });
    conn.onClose((r) => (this.closed = r));
  }
  send(f: Frame): void {
    this.conn.send(f);
  }
  of<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.msgs.filter((m) => m.type === type) as Extract<ServerMessage, { type: T }>[];
  }
  last<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }> | undefined {
    const a = this.of(type);
    return a[a.length - 1];
  }
}

export class Harness {
  t = 1000;
  readonly host: RoomHost;
  clients: GameClient[] = [];

  constructor(
    readonly sim: Awaited<ReturnType<typeof makeSim>>,
    opts: Partial<RoomHostOptions> = {},
  ) {
    this.host = new RoomHost({ sim, code: 'TEST', hostToken: HOST_TOKEN, now: () => this.t, ...opts });
  }

  static async create(simOpts: Partial<FullSimulationOptions> = {}, hostOpts: Partial<RoomHostOptions> = {}): Promise<Harness> {
    return new Harness(await makeSim(simOpts), hostOpts);
  }

  client(opts: Partial<GameClientOptions> = {}, link: LocalLinkOptions = {}): GameClient {
    const [a, b] = createLocalPair(link);
    this.host.attach(b);
    const c = new GameClient(a, { name: `p${this.clients.length + 1}`, now: () => this.t, pingIntervalMs: 0, ...opts });
    this.clients.push(c);
    return c;
  }

  raw(link: LocalLinkOptions = {}): RawPeer {
    const [a, b] = createLocalPair(link);
    this.host.attach(b);
    return new RawPeer(a);
  }

  /** Advance n ticks: clients update (inputs), host ticks, frames are delivered. */
  async tick(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      this.t += TICK_MS;
      for (const c of this.clients) c.update(this.t);
      await flush();
      this.host.tick();
      await flush();
    }
  }

  playerEntity(id: string) {
    return this.sim.entities().find((e) => e.kind === 'player' && e.owner === id);
  }

  dispose(): void {
    this.host.close('test over');
    this.sim.dispose();
  }
}
