/**
 * The two WebSocket endpoints on one HTTP server (PeerJS signaling at /peerjs and the game
 * socket at /ws), host-link authentication, and the relay envelope between a relayed player
 * and a host link (real ws clients; the host side uses core/protocol's RelayHub).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startServer, createRoom, TestClient, assets, type Started } from './helpers';
import { createSimulation } from '../../core/sim/simulation';
import { RoomHost } from '../../core/host/room-host';
import { RelayHub, encodeHostLink, encodeStateFrame } from '../../core/protocol/relay';

/** A real serialized room (RoomHost.serialize() of a fresh room with this code). */
async function serializedRoom(code: string): Promise<Uint8Array> {
  const { wasm, scripts } = assets();
  const sim = await createSimulation({ wasm, scripts });
  const blob = new RoomHost({ sim, code, hostToken: 'x' }).serialize();
  sim.dispose();
  return blob;
}

const lookup = async (s: Started, code: string) => (await fetch(`${s.base}/api/rooms/${code}`)).json() as Promise<any>;

describe('signaling and /ws side by side', () => {
  let s: Started;
  before(async () => {
    s = await startServer({ lookupsPerMinute: 1000 });
  });
  after(() => s.close());

  test('PeerJS signaling: register the host peer id, relay an offer between two peers', async () => {
    const { json: room } = await createRoom(s.base);
    const idRes = await fetch(`${s.base}/peerjs/peerjs/id`);
    assert.equal(idRes.status, 200);
    assert.ok((await idRes.text()).length > 0);

    const host = new TestClient(`${s.wsBase}/peerjs/peerjs?key=peerjs&id=${room.hostPeerId}&token=t1`);
    await host.waitFor('OPEN');
    assert.equal((await lookup(s, room.code)).hostOnline, true);

    const guest = new TestClient(`${s.wsBase}/peerjs/peerjs?key=peerjs&id=guest-1&token=t2`);
    await guest.waitFor('OPEN');
    guest.send({ type: 'OFFER', dst: room.hostPeerId, payload: { sdp: { type: 'offer', sdp: 'v=0' }, connectionId: 'dc_1' } });
    const offer = await host.waitFor('OFFER');
    assert.equal(offer.src, 'guest-1');
    assert.equal(offer.payload.connectionId, 'dc_1');

    // Someone else cannot take the host's id while it is registered.
    const squatter = new TestClient(`${s.wsBase}/peerjs/peerjs?key=peerjs&id=${room.hostPeerId}&token=evil`);
    await squatter.waitFor('ID-TAKEN');

    host.close();
    await host.waitClosed();
    for (let i = 0; i < 20 && (await lookup(s, room.code)).hostOnline; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal((await lookup(s, room.code)).hostOnline, false);
    guest.close();
  });

  test('/ws for an unknown room: error then close; unknown paths: 404; both endpoints keep working', async () => {
    const c = new TestClient(`${s.wsBase}/ws?room=ZZZZZZ`);
    const err = await c.waitFor('error');
    assert.equal(err.code, 'room_not_found');
    assert.equal((await c.waitClosed()).code, 4004);

    const status = await new Promise<number>((resolve) => {
      const w = new WebSocket(`${s.wsBase}/elsewhere`);
      w.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      w.on('error', () => {});
    });
    assert.equal(status, 404);

    const p = new TestClient(`${s.wsBase}/peerjs/peerjs?key=peerjs&id=another&token=t`);
    await p.waitFor('OPEN');
    p.close();
  });

  test('host link needs the host token; players without a host link get host_offline', async () => {
    const { json: room } = await createRoom(s.base);
    const bad = new TestClient(`${s.wsBase}/ws?room=${room.code}&role=host&token=nope`);
    assert.equal((await bad.waitFor('error')).code, 'forbidden');
    assert.equal((await bad.waitClosed()).code, 4003);

    const player = new TestClient(`${s.wsBase}/ws?room=${room.code}`);
    assert.equal((await player.waitFor('error')).code, 'host_offline');
    await player.waitClosed();
    assert.equal((await lookup(s, room.code)).hostOnline, false);
  });
});

test('relay: frames both ways through the host link, room_info, state upload, host_left', async () => {
  const s = await startServer({ lookupsPerMinute: 1000 });
  try {
    const { json: room } = await createRoom(s.base);
    const link = new TestClient(`${s.wsBase}/ws?room=${room.code}&role=host&token=${room.hostToken}`);
    await link.opened;
    // The browser host's side of the relay, as the app runs it: an echo "room" on RelayHub.
    const hub = new RelayHub((f) => link.ws.send(f));
    const seen: string[] = [];
    hub.onConnection((conn) => {
      seen.push(conn.id);
      conn.onMessage((f) => {
        if (typeof f === 'string') conn.send(JSON.stringify({ type: 'message', text: `echo ${f}` }));
        else conn.send(Uint8Array.from([0x10, ...f]));
      });
    });
    link.ws.on('message', (data: Buffer, isBinary: boolean) => {
      hub.handle(isBinary ? new Uint8Array(data) : data.toString());
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await lookup(s, room.code)).hostOnline, true);

    const player = new TestClient(`${s.wsBase}/ws?room=${room.code}`);
    await player.opened;
    player.send('{"type":"ping","t":1}');
    const echo = await player.waitFor('message');
    assert.equal(echo.text, 'echo {"type":"ping","t":1}');
    player.send(Uint8Array.from([1, 2, 3]));
    const bin = await player.until(() => player.frames.find((f) => typeof f !== 'string'));
    assert.deepEqual([...(bin as Uint8Array)], [0x10, 1, 2, 3]);
    assert.equal(seen.length, 1);

    link.send(encodeHostLink({ type: 'room_info', players: 3, capacity: 16, mode: 'tag' }));
    // A state upload must be a serialized room of this room: junk is refused, a real one kept.
    link.ws.send(encodeStateFrame(Uint8Array.from([9, 8, 7])));
    assert.match((await link.waitFor('error')).message, /state upload rejected/);
    const state = await serializedRoom(room.code);
    link.ws.send(encodeStateFrame(state));
    link.ws.send(encodeStateFrame(await serializedRoom('OTHER2')));
    await link.until(() => link.json.filter((m) => m.type === 'error').length >= 2);
    const info = await lookup(s, room.code);
    assert.equal(info.players, 3);
    assert.equal(info.mode, 'tag');
    assert.deepEqual(s.server.rooms.get(room.code)!.lastState, state);

    // Garbage from the host is answered with an error on the link, nothing else happens.
    const errorsBefore = link.json.filter((m) => m.type === 'error').length;
    link.send('{"type":"nonsense"}');
    const err = await link.until(() => link.json.filter((m) => m.type === 'error')[errorsBefore]);
    assert.equal(err.code, 'bad_message');

    // The host leaves: relayed players get host_left and are closed; the last state is kept.
    link.close();
    assert.ok(await player.waitFor('host_left'));
    assert.equal((await player.waitClosed()).code, 4010);
    const after = await lookup(s, room.code);
    assert.equal(after.hostOnline, false);
    assert.deepEqual(s.server.rooms.get(room.code)!.lastState, state);
  } finally {
    await s.close();
  }
});

test('/ws is no room-code oracle: unknown codes use up the IP lookup budget', async () => {
  const s = await startServer({ lookupsPerMinute: 3 });
  try {
    const { json: room } = await createRoom(s.base);
    const link = new TestClient(`${s.wsBase}/ws?room=${room.code}&role=host&token=${room.hostToken}`);
    await link.opened;
    // Hits cost nothing.
    for (let i = 0; i < 5; i++) {
      const c = new TestClient(`${s.wsBase}/ws?room=${room.code}&encoding=json`);
      await c.opened;
      c.close();
    }
    for (const guess of ['AAAAAA', 'AAAAAB', 'AAAAAC']) {
      const c = new TestClient(`${s.wsBase}/ws?room=${guess}`);
      assert.equal((await c.waitFor('error')).code, 'room_not_found');
    }
    const blocked = new TestClient(`${s.wsBase}/ws?room=AAAAAD`);
    const err = await blocked.waitFor('error');
    assert.equal(err.code, 'rate_limited');
    assert.equal((await blocked.waitClosed()).code, 1013);
    link.close();
  } finally {
    await s.close();
  }
});

test('lookup reports 0 players once the browser host is gone', async () => {
  const s = await startServer();
  try {
    const { json: room } = await createRoom(s.base);
    const link = new TestClient(`${s.wsBase}/ws?room=${room.code}&role=host&token=${room.hostToken}`);
    await link.opened;
    link.send(encodeHostLink({ type: 'room_info', players: 4, capacity: 16, mode: 'coin_rush' }));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await lookup(s, room.code)).players, 4);
    link.close();
    await link.waitClosed();
    await new Promise((r) => setTimeout(r, 50));
    const info = await lookup(s, room.code);
    assert.equal(info.players, 0);
    assert.equal(info.hostOnline, false);
  } finally {
    await s.close();
  }
});

test('PEER_HOST_AUTH: only the host (PeerJS token = hostToken) may register the room\'s peer id', async () => {
  const s = await startServer({ peerHostAuth: true });
  try {
    const { json: room } = await createRoom(s.base);
    const squatter = new TestClient(`${s.wsBase}/peerjs/peerjs?key=peerjs&id=${room.hostPeerId}&token=guess`);
    assert.equal((await squatter.waitFor('ERROR')).payload.msg, 'this peer id belongs to a room host');
    await squatter.waitClosed();
    assert.equal((await lookup(s, room.code)).hostOnline, false);
    const host = new TestClient(`${s.wsBase}/peerjs/peerjs?key=peerjs&id=${room.hostPeerId}&token=${room.hostToken}`);
    await host.waitFor('OPEN');
    assert.equal((await lookup(s, room.code)).hostOnline, true);
    const guest = new TestClient(`${s.wsBase}/peerjs/peerjs?key=peerjs&id=guest-9&token=any`);
    await guest.waitFor('OPEN');
    host.close();
    guest.close();
  } finally {
    await s.close();
  }
});

test('relay limits: a flooding relayed player is cut off, the host link and others are not; a second host link replaces the first', async () => {
  const s = await startServer({ rateLimitPerSec: 20 });
  try {
    const { json: room } = await createRoom(s.base);
    const link = new TestClient(`${s.wsBase}/ws?room=${room.code}&role=host&token=${room.hostToken}`);
    await link.opened;
    const hub = new RelayHub((f) => link.ws.send(f));
    const got: Record<string, number> = {};
    hub.onConnection((conn) => conn.onMessage(() => (got[conn.id] = (got[conn.id] ?? 0) + 1)));
    link.ws.on('message', (data: Buffer, isBinary: boolean) => hub.handle(isBinary ? new Uint8Array(data) : data.toString()));

    const calm = new TestClient(`${s.wsBase}/ws?room=${room.code}`);
    const flood = new TestClient(`${s.wsBase}/ws?room=${room.code}`);
    await calm.opened;
    await flood.opened;
    for (let i = 0; i < 200; i++) flood.send(`{"type":"ping","t":${i}}`);
    const closed = await flood.waitClosed();
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'rate_limited');
    calm.send('{"type":"ping","t":1}');
    await link.until(() => Object.values(got).some((n) => n === 1));
    const forwarded = Math.max(...Object.values(got));
    assert.ok(forwarded <= 41, `at most the burst reached the host, got ${forwarded}`);
    assert.equal(link.closed, null);

    // The host reconnects its link (e.g. a new tab): the old one is closed, its relayed players told.
    const link2 = new TestClient(`${s.wsBase}/ws?room=${room.code}&role=host&token=${room.hostToken}`);
    await link2.opened;
    assert.equal((await link.waitClosed()).reason, 'replaced');
    assert.ok(await calm.waitFor('host_left'));
    assert.equal((await lookup(s, room.code)).hostOnline, true);
    link2.close();
  } finally {
    await s.close();
  }
});
