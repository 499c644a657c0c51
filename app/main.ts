/**
 * Entry: the lobby at `/`, a direct join at `/r/CODE`. Query options: `?fps=N` caps the frame
 * rate (tests), `?name=X` sets the player name for a join link, `?renderer=webgl|canvas`
 * overrides the automatic renderer choice.
 */
import { createRoom, GameError, normalizeCode, type RoomCreated } from './api';
import { Lobby, cleanName, saveName, savedName } from './lobby';
import { Session, type Role } from './session';
import { GameView } from './view';
import type { GameState } from './game-state';

const params = new URLSearchParams(location.search);
const FPS = Math.max(5, Math.min(120, Number(params.get('fps')) || 60));
const RENDERER = ((r) => (r === 'webgl' || r === 'canvas' ? r : 'auto'))(params.get('renderer'));
const root = document.getElementById('app')!;

let session: Session | null = null;
let view: GameView | null = null;
let lobby: Lobby | null = null;
let lobbyError: { code: string; message: string } | null = null;

/** Read-only handle for end-to-end tests and debugging. */
(window as unknown as { __game: { state(): GameState } }).__game = {
  state(): GameState {
    const s = session;
    if (!s) {
      return { tick: 0, mode: '', roomCode: null, playerId: null, isHost: false, players: [], connectionMode: 'lobby', lastError: lobbyError, fps: 0, renderer: '', arena: { width: 0, height: 0 }, joinMs: null, webrtcNote: '' };
    }
    const pos = new Map<string, { x: number; y: number }>();
    for (const e of s.authoritative()) if (e.kind === 'player' && e.owner) pos.set(e.owner, { x: e.x, y: e.y });
    return {
      tick: s.tick,
      mode: s.mode,
      roomCode: s.code,
      playerId: s.playerId,
      isHost: s.isHost,
      players: s.players.map((p) => ({ id: p.id, name: p.name, score: p.score, connected: p.connected, ping: p.ping, x: pos.get(p.id)?.x ?? NaN, y: pos.get(p.id)?.y ?? NaN })),
      connectionMode: s.connectionMode,
      lastError: s.lastError,
      fps: view?.renderer?.fps ?? 0,
      renderer: view?.renderer?.kind ?? '',
      arena: { ...s.arena },
      // performance.now() counts from navigation start: page open -> first frame with own player.
      joinMs: view?.firstFrameWithPlayerAt ?? null,
      webrtcNote: s.webrtcNote,
    };
  },
};

function showLobby(error = ''): void {
  session = null;
  view?.dispose();
  view = null;
  lobby = new Lobby(root, { create: onCreate, join: onJoin }, error);
}

async function onCreate(name: string, serverHosted: boolean): Promise<void> {
  lobby?.setBusy(true);
  let room: RoomCreated;
  try {
    room = await createRoom({ hosting: serverHosted ? 'server' : 'browser', name: `${name}'s room` });
  } catch (e) {
    const err = e as GameError;
    lobbyError = { code: err.code ?? 'create_failed', message: err.message };
    lobby?.showError(err.message);
    return;
  }
  history.pushState(null, '', `/r/${room.code}${location.search}`);
  await startSession(room.code, name, serverHosted ? { kind: 'server-host', room } : { kind: 'host', room }, true);
}

function onJoin(name: string, code: string): void {
  lobby?.setBusy(true);
  history.pushState(null, '', `/r/${code}${location.search}`);
  void startSession(code, name, { kind: 'player' }, false);
}

async function startSession(code: string, name: string, role: Role, share: boolean): Promise<void> {
  lobby = null;
  let v: GameView;
  const s = new Session(code, name, role, {
    changed: () => v?.refresh(),
    problem: (p) => {
      if (v?.fatal) return;
      if (!p) v?.banner.clear();
      else if (p.final) v?.banner.show(p.text, 'error', [{ label: 'Back to lobby', testid: 'back-to-lobby', run: () => goLobby() }, ...(p.code === 'connection_lost' || p.code === 'host_left' ? [{ label: 'Retry', testid: 'retry', run: () => s.retryNow() }] : [])]);
      else v?.banner.show(p.text, 'info');
    },
    message: (t) => v?.message(t),
    modResult: (r) => v?.modResult(r),
    commandError: (code, message) => v?.commandError(code, message),
  });
  session = s;
  v = new GameView(root, s, FPS, share, RENDERER);
  view = v;
  v.onLeave = () => goLobby();
  await v.init();
  await s.start();
  // Dev hot reload results (see the import.meta.hot handler below).
  s.host?.onScriptResult((r) =>
    v.message(r.ok ? `Reloaded ${r.name}` : `${r.name}${r.error?.line !== undefined ? `:${r.error.line}` : ''}: ${r.error?.message ?? 'failed'} (previous rules keep running)`),
  );
}

function goLobby(): void {
  session?.leave();
  history.pushState(null, '', `/${location.search}`);
  showLobby();
}

window.addEventListener('popstate', () => route());

function route(): void {
  const m = /^\/r\/([A-Za-z0-9]{1,16})\/?$/.exec(location.pathname);
  if (m) {
    const name = cleanName(params.get('name') ?? savedName());
    saveName(name);
    void startSession(normalizeCode(m[1]), name, { kind: 'player' }, false);
  } else showLobby();
}

route();

// Dev: editing lua_scripts/*.lua hot-reloads the rules of a running room (see vite.config.ts).
if (import.meta.hot) {
  import.meta.hot.on('lua:update', (d: { name: string; code: string }) => {
    session?.host?.loadScript(d.name, d.code);
  });
}
