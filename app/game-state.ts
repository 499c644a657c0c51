/** What `window.__game.state()` returns: a read-only view for end-to-end tests and debugging. */
export interface GameState {
  tick: number;
  mode: string;
  roomCode: string | null;
  playerId: string | null;
  isHost: boolean;
  players: { id: string; name: string; x: number; y: number; score: number; connected: boolean; ping: number }[];
  connectionMode: string;
  lastError: { code: string; message: string } | null;
  fps: number;
  renderer: string;
  arena: { width: number; height: number };
  joinMs: number | null;
  webrtcNote: string;
}
