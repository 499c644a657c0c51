/// <reference lib="webworker" />
/**
 * The host's authoritative simulation, off the main thread: WASM physics + Lua rules
 * (Simulation) driven by a RoomHost at a fixed 60 Hz. Every player reaches it through a
 * Connection: the host's own player and each PeerJS peer over a MessagePort from the main
 * thread; relayed players over the server host link, which lives here (so a hidden tab, whose
 * main-thread timers are throttled, keeps serving them and keeps uploading state).
 */
import wasmUrl from '../../engine-wasm/pkg/engine_wasm_bg.wasm?url';
import { createSimulation } from '../../core/sim/simulation';
import { RoomHost } from '../../core/host/room-host';
import { RelayHub, encodeHostLink, encodeStateFrame } from '../../core/protocol';
import type { Frame } from '../../core/net/transport';
import type { HostTickTelemetry } from '../../core/host/types';
import { PortConnection } from '../net/port-connection';
import type { FromWorker, ToWorker } from './messages';

declare const self: DedicatedWorkerGlobalScope;

const luaFiles = import.meta.glob('../../lua_scripts/*.lua', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
export const LUA_SCRIPTS: Record<string, string> = Object.fromEntries(
  Object.entries(luaFiles).map(([path, code]) => [path.slice(path.lastIndexOf('/') + 1), code]),
);

const STATE_UPLOAD_MS = 2000;
const TELEMETRY_MS = 500;

let host: RoomHost | null = null;
const queued: ToWorker[] = [];
let ready = false;

function post(m: FromWorker): void {
  self.postMessage(m);
}

// ---------------------------------------------------------------- telemetry window
const win = { ticks: 0, tickMs: 0, physicsMs: 0, luaMs: 0, entities: 0, players: 0, link: 0, snap: 0 };
function onTelemetry(t: HostTickTelemetry): void {
  win.ticks++;
  win.tickMs += t.tickMs;
  win.snap += t.snapshotBytes;
  win.physicsMs += t.physicsMs;
  win.luaMs += t.luaTotalMs;
  win.entities = t.entities;
  win.players = t.players;
}

// ---------------------------------------------------------------- host link (relay + state upload)
function openHostLink(url: string, room: RoomHost, capacity: number): void {
  let ws: WebSocket | null = null;
  let attempt = 0;
  let lastInfo = '';
  let stateTimer: ReturnType<typeof setInterval> | null = null;
  const hub = new RelayHub(
    (f: Frame) => {
      if (ws?.readyState === WebSocket.OPEN) {
        win.link += typeof f === 'string' ? f.length : f.byteLength;
        ws.send(f as string | ArrayBufferView<ArrayBuffer>);
      }
    },
    () => ws?.bufferedAmount ?? 0,
  );
  hub.onConnection((c) => room.attach(c));
  const uploadState = () => {
    if (ws?.readyState !== WebSocket.OPEN) return;
    const blob = room.serialize();
    const f = encodeStateFrame(blob);
    win.link += f.byteLength;
    ws.send(f as Uint8Array<ArrayBuffer>);
  };
  hub.onStateRequest(uploadState);
  const sendInfo = (force = false) => {
    if (ws?.readyState !== WebSocket.OPEN) return;
    const info = { type: 'room_info' as const, players: room.playerCount, capacity, mode: room.sim.mode };
    const key = JSON.stringify(info);
    if (!force && key === lastInfo) return;
    lastInfo = key;
    ws.send(encodeHostLink(info));
  };
  room.on('join', () => sendInfo());
  room.on('leave', () => sendInfo());
  setInterval(() => sendInfo(), 1000);

  const connect = () => {
    const sock = new WebSocket(url);
    sock.binaryType = 'arraybuffer';
    ws = sock;
    sock.onopen = () => {
      attempt = 0;
      post({ type: 'hostlink', status: 'open' });
      sendInfo(true);
      uploadState();
      if (stateTimer) clearInterval(stateTimer);
      stateTimer = setInterval(uploadState, STATE_UPLOAD_MS);
    };
    sock.onmessage = (e) => {
      const f: Frame = typeof e.data === 'string' ? e.data : new Uint8Array(e.data as ArrayBuffer);
      win.link += typeof f === 'string' ? f.length : f.byteLength;
      const err = hub.handle(f);
      if (err) console.warn('[host link]', err.code, err.message);
    };
    sock.onclose = (e) => {
      if (stateTimer) clearInterval(stateTimer);
      stateTimer = null;
      hub.close('host link closed');
      post({ type: 'hostlink', status: 'closed', reason: e.reason || String(e.code) });
      if (ws !== sock || stopped) return;
      // 4xxx: the server refused us for good (bad token, room gone, taken over).
      if (e.code >= 4000 && e.code < 5000) return;
      attempt++;
      setTimeout(connect, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
    };
  };
  connect();
}

let stopped = false;

async function init(m: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  const sim = await createSimulation({ wasm: new URL(wasmUrl, self.location.href), scripts: LUA_SCRIPTS, mode: m.mode });
  const capacity = m.capacity && m.capacity > 0 ? Math.floor(m.capacity) : 16;
  const room = new RoomHost({ sim, code: m.code, hostToken: m.hostToken, snapshotHz: m.snapshotHz, limits: { maxPlayers: capacity } });
  host = room;
  room.on('telemetry', onTelemetry);
  room.on('error', (e) => console.warn('[room]', e.message));
  room.start();
  if (m.hostLinkUrl) openHostLink(m.hostLinkUrl, room, capacity);
  setInterval(() => {
    const n = Math.max(1, win.ticks);
    post({
      type: 'telemetry',
      t: {
        ticks: win.ticks,
        tickMs: win.tickMs / n,
        physicsMs: win.physicsMs / n,
        luaMs: win.luaMs / n,
        entities: win.entities,
        players: win.players,
        hostLinkBytes: win.link,
        snapshotBytes: win.snap,
        windowMs: TELEMETRY_MS,
      },
    });
    win.ticks = win.tickMs = win.physicsMs = win.luaMs = win.link = win.snap = 0;
  }, TELEMETRY_MS);
  ready = true;
  post({ type: 'ready', mode: sim.mode, modes: sim.modes });
  for (const q of queued.splice(0)) handle(q);
}

function handle(m: ToWorker): void {
  if (m.type === 'init') {
    init(m).catch((e: unknown) => post({ type: 'fatal', message: e instanceof Error ? e.message : String(e) }));
    return;
  }
  if (!ready || !host) {
    queued.push(m);
    return;
  }
  switch (m.type) {
    case 'connect':
      host.attach(new PortConnection(m.port, m.id, m.kind));
      break;
    case 'script': {
      const r = host.sim.loadScript(m.name, m.code);
      post(r.ok ? { type: 'script_result', name: m.name, ok: true } : { type: 'script_result', name: m.name, ok: false, error: r.error });
      break;
    }
    case 'stop':
      stopped = true;
      host.stop();
      host.close(m.reason);
      break;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => handle(e.data);
