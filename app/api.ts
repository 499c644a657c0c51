/** Client for the server's rooms API (docs/PROTOCOL.md "Rooms API"). */

export interface RoomCreated {
  code: string;
  hostToken: string;
  hostPeerId: string;
  hosting: 'browser' | 'server';
  iceServers: RTCIceServer[];
  /** Max players (server config); the browser host enforces it too. */
  capacity?: number;
}

export interface RoomInfo {
  code: string;
  mode: string;
  players: number;
  capacity: number;
  hosting: 'browser' | 'server';
  hostPeerId: string;
  hostOnline: boolean;
  iceServers: RTCIceServer[];
}

/** An error a player can hit, with a stable code (shown as a clear message by the UI). */
export class GameError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const ROOM_CODE_RE = /^[A-Za-z0-9]{3,12}$/;

export function normalizeCode(raw: string): string {
  return raw.trim().toUpperCase();
}

async function readJson(res: Response): Promise<any> {
  try {
    return await res.json();
  } catch {
    return {};
  }
}

export async function createRoom(opts: { hosting: 'browser' | 'server'; mode?: string; name?: string }): Promise<RoomCreated> {
  let res: Response;
  try {
    res = await fetch('/api/rooms', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(opts),
    });
  } catch {
    throw new GameError('server_unreachable', 'Cannot reach the server. Check your connection and try again.');
  }
  const body = await readJson(res);
  if (!res.ok) throw new GameError(body.error ?? 'create_failed', `Could not create a room (${body.error ?? res.status}).`);
  return body as RoomCreated;
}

export async function getRoom(code: string): Promise<RoomInfo> {
  if (!ROOM_CODE_RE.test(code)) throw new GameError('room_not_found', `Room "${code}" not found: a room code is 3–12 letters or digits.`);
  let res: Response;
  try {
    res = await fetch(`/api/rooms/${encodeURIComponent(code)}`);
  } catch {
    throw new GameError('server_unreachable', 'Cannot reach the server. Check your connection and try again.');
  }
  const body = await readJson(res);
  if (res.status === 404 || body.error === 'invalid_code') throw new GameError('room_not_found', `Room ${code} not found. Check the code, or ask the host for a new link.`);
  if (res.status === 429) throw new GameError('rate_limited', 'Too many requests; wait a moment and try again.');
  if (!res.ok) throw new GameError(body.error ?? 'server_error', `The server could not look up room ${code} (${body.error ?? res.status}).`);
  return body as RoomInfo;
}

/** ws:// or wss:// URL for a path on this origin. */
export function wsUrl(path: string): string {
  const u = new URL(path, location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}
