/**
 * Relay and takeover with real parts on both sides: the "browser host" here is a real
 * Simulation + RoomHost (the same core the host's Web Worker runs) behind a real host-link
 * WebSocket with core/protocol's RelayHub; players are real WebSocket clients (raw JSON and
 * the GameClient from core/client).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startServer, createRoom, TestClient, wsClientConnection, assets, lastSnapshot, myEntity, type Started } from './helpers';
import { createSimulation } from '../../core/sim/simulation';
import { RoomHost } from '../../core/host/room-host';
import { RelayHub, encodeHostLink, encodeStateFrame } from '../../core/protocol/relay';
import { GameClient } from '../../core/client/game-client';
import type { Frame } from '../../core/net/transport';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Awards each player a one-off bonus kept in the room state (so it survives serialize/restore). */
const BONUS_MOD = `
function on_tick(dt)
  state.bonus = state.bonus or {}
  for _, p in ipairs(game.players) do
    if not state.bonus[p.id] then
      state.bonus[p.id] = true
      game.add_score(p.id, 7 + #p.name)
    end
  end
end
`;

interface BrowserHost {
  host: RoomHost;
  link: WebSocket;
  hub: RelayHub;
  upload(): void;
  stop(): void;
}

/** What app/host/worker.ts does, minus the browser: RoomHost + host link + relay + state upload. */
async function startBrowserHost(s: Started, room: { code: string; hostToken: string }): Promise<BrowserHost> {
  const { wasm, scripts } = assets();
  const sim = await createSimulation({ wasm, scripts, mode: 'coin_rush' });
  const host = new RoomHost({ sim, code: room.code, hostToken: room.hostToken, snapshotHz: 20 });
  const r = sim.loadScript('mods/bonus.lua', BONUS_MOD);
  assert.ok(r.ok, JSON.stringify(r));
  host.start();
  const link = new WebSocket(`${s.wsBase}/ws?room=${room.code}&role=host&token=${room.hostToken}`);
  link.binaryType = 'nodebuffer';
  const hub = new RelayHub((f: Frame) => link.readyState === WebSocket.OPEN && link.send(f), () => link.bufferedAmount);
  hub.onConnection((c) => host.attach(c));
  const upload = () => link.readyState === WebSocket.OPEN && link.send(encodeStateFrame(host.serialize()));
  hub.onStateRequest(upload);
  link.on('message', (data: Buffer, isBinary: boolean) => {
    hub.handle(isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString());
  });
  link.on('close', () => hub.close('host link closed'));
  await new Promise<void>((resolve, reject) => {
    link.once('open', () => resolve());
    link.once('error', reject);
  });
  const info = () => link.send(encodeHostLink({ type: 'room_info', players: host.playerCount, capacity: 16, mode: sim.mode }));
  host.on('join', info);
  host.on('leave', info);
  return {
    host,
    link,
    hub,
    upload,
    stop() {
      host.stop();
      link.close();
      host.close('host left');
      sim.dispose();
    },
  };
}

const mine = myEntity;

test('relay: a player who cannot use WebRTC plays through the host link; state upload; takeover keeps the game', async () => {
  const s = await startServer({ lookupsPerMinute: 1000, stateRequestMs: 0, reconnectGraceMs: 10_000 });
  let bh: BrowserHost | null = null;
  try {
    const { json: room } = await createRoom(s.base, { hosting: 'browser' });
    bh = await startBrowserHost(s, room);

    // A raw JSON player through the relay.
    const p = new TestClient(`${s.wsBase}/ws?room=${room.code}&encoding=json`);
    await p.opened;
    p.send({ type: 'hello', name: 'relayed' });
    const welcome = await p.waitFor('welcome');
    assert.equal(welcome.room, room.code);
    const first = await p.until(() => p.json.find((m) => m.type === 'snapshot' && mine(m, welcome.playerId)));
    const x0 = mine(first, welcome.playerId).x;
    for (let i = 0; i < 10; i++) {
      p.send({ action: 'move', direction: 'right' });
      await sleep(30);
    }
    const moved = await p.until(() => {
      const sn = lastSnapshot(p);
      return sn && sn.tick > first.tick + 20 ? sn : undefined;
    });
    assert.ok(mine(moved, welcome.playerId).x > x0 + 1, 'moved right through the relay');

    // The GameClient (binary protocol, as the app uses it) through the relay too.
    const conn = await wsClientConnection(`${s.wsBase}/ws?room=${room.code}`, 'relay');
    const gc = new GameClient(conn, { name: 'gc', pingIntervalMs: 0 });
    const gw = await gc.ready();
    const pump = setInterval(() => gc.update(), 16);
    gc.setInput(0, 1);
    await p.until(() => gc.stats.snapshots > 10 && gc.lastInputSeq > 0, 4000, 'GameClient snapshots');
    const y0 = gc.self()!.y;
    await sleep(300);
    assert.ok(gc.self()!.y > y0, 'GameClient player moved down');
    gc.setInput(0, 0);
    await sleep(100);

    // The room info reaches the rooms API.
    const info = await (await fetch(`${s.base}/api/rooms/${room.code}`)).json();
    assert.equal(info.players, 2);
    assert.equal(info.hostOnline, true);

    // Scores as the browser host has them, then a state upload.
    await p.until(() => p.json.some((m) => m.type === 'roster' && m.players.every((pl: any) => pl.score > 0)), 3000, 'bonus scores');
    const scoresBefore = Object.fromEntries(bh.host.sim.players().map((pl) => [pl.id, pl.score]));
    assert.equal(scoresBefore[welcome.playerId], 7 + 'relayed'.length);
    assert.equal(scoresBefore[gw.playerId], 7 + 'gc'.length);
    bh.host.stop(); // freeze the browser host so the upload is its final state
    bh.upload();
    const uploadedTick = bh.host.sim.tick;
    await p.until(() => s.server.rooms.get(room.code)?.lastState, 2000, 'state upload');

    // The host leaves: relayed players are told, the room is host-offline, the blob is kept.
    bh.stop();
    bh = null;
    assert.ok(await p.waitFor('host_left'));
    await p.waitClosed();
    const off = await (await fetch(`${s.base}/api/rooms/${room.code}`)).json();
    assert.equal(off.hostOnline, false);

    // The server takes over from the uploaded state.
    await s.server.takeover(room.code);
    const on = await (await fetch(`${s.base}/api/rooms/${room.code}`)).json();
    assert.equal(on.hosting, 'server');
    assert.equal(on.hostOnline, true);
    // A host link is now refused for good (4xxx: the app does not retry).
    const late = new TestClient(`${s.wsBase}/ws?room=${room.code}&role=host&token=${room.hostToken}`);
    assert.equal((await late.waitClosed()).code, 4009);

    // The player comes back with its session token: same slot, same score, the game goes on.
    const back = new TestClient(`${s.wsBase}/ws?room=${room.code}&encoding=json`);
    await back.opened;
    back.send({ type: 'hello', name: 'relayed', token: welcome.token });
    const w2 = await back.waitFor('welcome');
    assert.equal(w2.playerId, welcome.playerId);
    assert.equal(w2.reconnected, true);
    assert.ok(w2.tick >= uploadedTick, `tick ${w2.tick} continues from ${uploadedTick}`);
    const roster = await back.until(() => back.json.find((m) => m.type === 'roster' && m.players.length >= 2));
    const scoresAfter = Object.fromEntries(roster.players.map((pl: any) => [pl.id, pl.score]));
    assert.deepEqual(scoresAfter, scoresBefore);
    const s1 = await back.waitFor('snapshot');
    back.send({ action: 'move', direction: 'left' });
    const s2 = await back.until(() => {
      const sn = lastSnapshot(back);
      return sn && sn.tick > s1.tick + 10 ? sn : undefined;
    });
    assert.ok(s2.tick > s1.tick);
    clearInterval(pump);
    gc.close();
    back.close();
  } finally {
    bh?.stop();
    await s.close();
  }
});

test('takeover needs an uploaded state', async () => {
  const s = await startServer();
  try {
    const { json: room } = await createRoom(s.base, { hosting: 'browser' });
    await assert.rejects(s.server.takeover(room.code), /no uploaded state/);
    await assert.rejects(s.server.takeover('ZZZZZZ'), /no room/);
  } finally {
    await s.close();
  }
});
