/**
 * Server-hosted rooms in worker threads (ROOM_WORKERS): rooms spread over the workers, players
 * on main-thread sockets play through the batched mux, metrics come back from the workers, and a
 * crashed worker's rooms restart from their checkpoints with every player back in its slot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, createRoom, TestClient, lastSnapshot, myEntity, nextSnapshot, joinJson } from './helpers';
import { RoomPool } from '../../host-server/room-pool';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('room workers: rooms spread over 2 workers; every room plays; metrics come from the workers', async () => {
  const s = await startServer({ roomWorkers: 2 });
  try {
    const pool = s.server.roomRunner;
    assert.ok(pool instanceof RoomPool);
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await createRoom(s.base, { hosting: 'server', mode: i % 2 ? 'tag' : 'coin_rush' });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      codes.push(r.json.code);
    }
    assert.deepEqual(pool.roomsPerWorker, [2, 2]);
    const info = await (await fetch(`${s.base}/api/rooms/${codes[1]}`)).json();
    assert.equal(info.mode, 'tag');

    // one legacy-action player per room: each moves right
    const players = await Promise.all(codes.map((code) => joinJson(s, code, { name: `p${code}` })));
    const x0 = players.map(({ c, welcome }) => myEntity(lastSnapshot(c), welcome.playerId).x);
    for (const { c } of players) c.send({ action: 'move', direction: 'right', player_id: 'player_1' });
    for (let i = 0; i < players.length; i++) {
      const { c, welcome } = players[i];
      await c.until(() => {
        const e = myEntity(lastSnapshot(c), welcome.playerId);
        return e && e.x > x0[i] + 30 ? e : undefined;
      }, 5000, `player in room ${codes[i]} to move right`);
    }
    const listed = await (await fetch(`${s.base}/api/rooms/${codes[0]}`)).json();
    assert.equal(listed.players, 1, 'player counts come back from the worker');

    await sleep(250); // one stats interval
    const text = await (await fetch(`${s.base}/metrics`)).text();
    const count = (name: string) => Number(text.match(new RegExp(`^${name}_count (\\d+)`, 'm'))?.[1] ?? 0);
    assert.ok(count('arena_tick_seconds') > 50, 'room ticks observed');
    assert.ok(count('arena_tick_loop_step_cpu_seconds') > 20, 'loop steps observed');
    assert.ok(count('arena_lua_seconds') > 50, 'Lua time observed');
    assert.match(text, /^arena_room_worker_rooms\{worker="0"\} 2$/m);
    assert.match(text, /^arena_room_worker_rooms\{worker="1"\} 2$/m);
    assert.match(text, /^arena_room_worker_starts_total 2$/m);
    const health = await (await fetch(`${s.base}/healthz`)).json();
    assert.deepEqual(health.roomWorkers, { size: 2, running: 2 });
    for (const { c } of players) c.close();
  } finally {
    await s.close();
  }
});

test('room workers: a crashed worker\'s room restarts from its checkpoint; players come back to their slots', async () => {
  const s = await startServer({ roomWorkers: 1, stateRequestMs: 200, reconnectGraceMs: 10_000 });
  try {
    const { json: room } = await createRoom(s.base, { hosting: 'server' });
    const a = await joinJson(s, room.code, { name: 'alpha' });
    const b = await joinJson(s, room.code, { name: 'beta' });
    a.c.send({ action: 'move', direction: 'down' });
    const before = await nextSnapshot(a.c, lastSnapshot(a.c).tick + 30);
    await sleep(500); // a checkpoint or two
    const pool = s.server.roomRunner as RoomPool;
    const host = s.server.rooms.get(room.code)!.host!;
    assert.ok(host.lastCheckpoint && host.lastCheckpoint.byteLength > 100, 'checkpoints reach the main thread');

    await pool.terminateWorker(0);
    const closed = await a.c.waitClosed();
    assert.equal(closed.code, 1011);
    assert.equal(closed.reason, 'room_crashed');
    await b.c.waitClosed();

    // The room is still there and runs again (in a fresh worker) from its checkpoint.
    await a.c.until(() => s.server.rooms.get(room.code)?.host ?? undefined, 10_000, 'the room to be restored');
    const info = await (await fetch(`${s.base}/api/rooms/${room.code}`)).json();
    assert.equal(info.hosting, 'server');
    assert.equal(info.hostOnline, true);

    const back = new TestClient(`${s.wsBase}/ws?room=${room.code}&encoding=json`);
    await back.opened;
    back.send({ type: 'hello', name: 'alpha', token: a.welcome.token });
    const w = await back.waitFor('welcome');
    assert.equal(w.playerId, a.welcome.playerId);
    assert.equal(w.reconnected, true);
    assert.ok(w.tick >= before.tick - 60, `restored at tick ${w.tick}, close to ${before.tick}`);
    const roster = await back.until(() => back.json.find((m) => m.type === 'roster' && m.players.length === 2));
    assert.deepEqual(roster.players.map((p: any) => p.id).sort(), [a.welcome.playerId, b.welcome.playerId].sort());
    const snap = await nextSnapshot(back, w.tick + 10);
    assert.ok(myEntity(snap, a.welcome.playerId), 'the player is in the world again');
    back.close();
  } finally {
    await s.close();
  }
});

test('room workers: without a checkpoint a crashed worker\'s room is removed and its players told', async () => {
  const s = await startServer({ roomWorkers: 1, stateRequestMs: 0 });
  try {
    const { json: room } = await createRoom(s.base, { hosting: 'server' });
    const a = await joinJson(s, room.code, { name: 'solo' });
    await (s.server.roomRunner as RoomPool).terminateWorker(0);
    const closed = await a.c.waitClosed();
    assert.equal(closed.reason, 'room_crashed');
    assert.equal((await fetch(`${s.base}/api/rooms/${room.code}`)).status, 404);
    // the server goes on: a new room starts in a new worker
    const r2 = await createRoom(s.base, { hosting: 'server' });
    assert.equal(r2.status, 201);
    const p = await joinJson(s, r2.json.code, { name: 'next' });
    await nextSnapshot(p.c, lastSnapshot(p.c).tick + 6);
    p.c.close();
  } finally {
    await s.close();
  }
});

test('room workers: a room that keeps crashing its worker is restarted 3 times, then removed', async () => {
  const s = await startServer({ roomWorkers: 1, stateRequestMs: 100 });
  try {
    const { json: room } = await createRoom(s.base, { hosting: 'server' });
    const pool = s.server.roomRunner as RoomPool;
    const host = () => s.server.rooms.get(room.code)?.host ?? null;
    for (let i = 1; i <= 3; i++) {
      await waitFor(() => host()?.lastCheckpoint, `a checkpoint before crash ${i}`);
      await pool.terminateWorker(0);
      await waitFor(() => host(), `restart ${i}`);
      assert.equal((await fetch(`${s.base}/api/rooms/${room.code}`)).status, 200);
    }
    await waitFor(() => host()?.lastCheckpoint, 'a checkpoint before crash 4');
    await pool.terminateWorker(0);
    await waitFor(() => !s.server.rooms.get(room.code), 'the room to be removed after the 4th crash');
    assert.equal((await fetch(`${s.base}/api/rooms/${room.code}`)).status, 404);
  } finally {
    await s.close();
  }
});

test('room workers: a hung worker is terminated by the watchdog; its room restarts and players rejoin', async () => {
  const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'arena-hang-')), 'hung');
  process.env.HANG_MARKER = marker;
  const s = await startServer(
    { roomWorkers: 1, stateRequestMs: 100, reconnectGraceMs: 10_000 },
    { roomPool: { workerUrl: new URL('./fixtures/hanging-room-worker.mjs', import.meta.url), hangMs: 1500 } },
  );
  try {
    const { json: room } = await createRoom(s.base, { hosting: 'server' });
    const a = await joinJson(s, room.code, { name: 'patient' });
    const closed = await a.c.waitClosed(10_000); // hangs at ~600 ms, terminated ~1.5 s later
    assert.ok(fs.existsSync(marker), 'the worker did hang');
    assert.equal(closed.reason, 'room_crashed');
    await waitFor(() => s.server.rooms.get(room.code)?.host, 'the room to restart');
    const back = new TestClient(`${s.wsBase}/ws?room=${room.code}&encoding=json`);
    await back.opened;
    back.send({ type: 'hello', name: 'patient', token: a.welcome.token });
    const w = await back.waitFor('welcome');
    assert.equal(w.playerId, a.welcome.playerId);
    assert.equal(w.reconnected, true);
    await nextSnapshot(back, w.tick + 10);
    const text = await (await fetch(`${s.base}/metrics`)).text();
    assert.match(text, /arena_errors_total\{kind="worker_hung"\} 1/);
    back.close();
  } finally {
    delete process.env.HANG_MARKER;
    await s.close();
  }
});

async function waitFor<T>(fn: () => T | null | undefined | false, what: string, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
