/**
 * Room registry: codes, secrets, hosting kind, liveness and expiry. No public listing: a room is
 * found only by its code, and lookups are rate limited per IP by the HTTP layer.
 */
import crypto from 'node:crypto';
import type { ServerRoomHost } from './room-pool';

/** No 0/O, 1/I/L: codes are read aloud and typed on phones. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const CODE_LENGTH = 6; // 31^6 ≈ 8.9e8 codes
export const CODE_RE = new RegExp(`^[${CODE_ALPHABET}]{5,12}$`);

export type Hosting = 'browser' | 'server';

export interface Room {
  code: string;
  hostToken: string;
  hostPeerId: string;
  hosting: Hosting;
  name: string;
  mode: string;
  capacity: number;
  createdAt: number;
  /** Players as reported by the browser host (room_info) or counted by the server's RoomHost. */
  reportedPlayers: number;
  /** The host's PeerJS id is registered with the signaling server. */
  peerOnline: boolean;
  /** The browser host's host-link WebSocket is open. */
  hostLinkOnline: boolean;
  /** Latest RoomHost.serialize() uploaded by the browser host. */
  lastState: Uint8Array | null;
  lastStateAt: number | null;
  /** Runs the room on the server (hosting "server", or after a takeover). */
  host: ServerRoomHost | null;
  /** Connections relayed to the browser host (conn id → close function). */
  relayCount: number;
  /** Since when the room has been empty (for TTL expiry); null while in use. */
  emptySince: number | null;
  takenOver: boolean;
  /** When its server-side runner crashed (recent ones; restarts are limited). */
  crashes: number[];
}

export function randomCode(): string {
  let s = '';
  for (let i = 0; i < CODE_LENGTH; i++) s += CODE_ALPHABET[crypto.randomInt(CODE_ALPHABET.length)];
  return s;
}

export function randomToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

/** Random, valid PeerJS id (letters, digits, single dashes), unrelated to the room code. */
export function randomPeerId(): string {
  return `h-${crypto.randomBytes(12).toString('hex')}`;
}

/** Constant-time comparison of secrets. */
export function tokenEquals(a: string | undefined | null, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export function playerCount(room: Room): number {
  if (room.host) return room.host.playerCount;
  // A browser host that is gone has nobody playing with it any more.
  return room.peerOnline || room.hostLinkOnline ? room.reportedPlayers : 0;
}

export function hostOnline(room: Room): boolean {
  return room.host !== null || room.peerOnline || room.hostLinkOnline;
}

/** In use = someone can still be playing in it. */
export function inUse(room: Room): boolean {
  if (room.host) {
    // Any attached connection counts (a player still saying hello must not see the room expire).
    return room.host.playerCount > 0 || room.host.connectionCount > 0;
  }
  return room.peerOnline || room.hostLinkOnline || room.relayCount > 0;
}

export class RoomRegistry {
  private rooms = new Map<string, Room>();
  private byPeer = new Map<string, Room>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.rooms.size;
  }

  all(): Room[] {
    return [...this.rooms.values()];
  }

  get(code: string): Room | undefined {
    return this.rooms.get(code.toUpperCase());
  }

  byPeerId(peerId: string): Room | undefined {
    return this.byPeer.get(peerId);
  }

  create(init: { hosting: Hosting; mode: string; name: string; capacity: number }): Room {
    let code = randomCode();
    while (this.rooms.has(code)) code = randomCode();
    const room: Room = {
      code,
      hostToken: randomToken(),
      hostPeerId: randomPeerId(),
      hosting: init.hosting,
      name: init.name,
      mode: init.mode,
      capacity: init.capacity,
      createdAt: this.now(),
      reportedPlayers: 0,
      peerOnline: false,
      hostLinkOnline: false,
      lastState: null,
      lastStateAt: null,
      host: null,
      relayCount: 0,
      emptySince: this.now(),
      takenOver: false,
      crashes: [],
    };
    this.rooms.set(code, room);
    this.byPeer.set(room.hostPeerId, room);
    return room;
  }

  delete(code: string): Room | undefined {
    const room = this.rooms.get(code);
    if (!room) return undefined;
    this.rooms.delete(code);
    this.byPeer.delete(room.hostPeerId);
    return room;
  }

  /** Call whenever occupancy may have changed: starts or clears the empty timer. */
  touch(room: Room): void {
    if (inUse(room)) room.emptySince = null;
    else if (room.emptySince === null) room.emptySince = this.now();
  }

  /** Rooms empty for longer than ttlMs (the caller removes them). */
  expired(ttlMs: number): Room[] {
    const t = this.now();
    const out: Room[] = [];
    for (const room of this.rooms.values()) {
      this.touch(room);
      if (room.emptySince !== null && t - room.emptySince >= ttlMs) out.push(room);
    }
    return out;
  }
}
