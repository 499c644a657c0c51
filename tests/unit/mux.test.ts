/**
 * core/net/mux.ts over a real MessageChannel (structured clone + transfer, as between the
 * server's main thread and a room worker): frames both ways, order, batching, closes from
 * either side, bufferedAmount reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { MuxEndpoint, isMuxBatch, type MuxConnection } from '../../core/net/mux';
import { createLocalPair, type LocalConnection } from '../../core/net/local';
import type { Frame } from '../../core/net/transport';

const tick = () => new Promise((r) => setImmediate(r));
async function settle(n = 6): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}

function setup() {
  const ch = new MessageChannel();
  const posted = { a: 0, b: 0 };
  const a = new MuxEndpoint({ postMessage: (m, t) => (posted.a++, ch.port1.postMessage(m, t)) }, undefined, 'a');
  const b = new MuxEndpoint({ postMessage: (m, t) => (posted.b++, ch.port2.postMessage(m, t)) }, undefined, 'b');
  ch.port1.on('message', (m) => isMuxBatch(m) && a.receive(m));
  ch.port2.on('message', (m) => isMuxBatch(m) && b.receive(m));
  const opened: { conn: MuxConnection; meta: string }[] = [];
  b.onOpen((conn, meta) => opened.push({ conn, meta }));
  return { a, b, opened, posted, close: () => (ch.port1.close(), ch.port2.close()) };
}

/** A "socket" (one end of a local pair) bridged from side a; returns the far end too. */
function socket(): { client: LocalConnection; server: LocalConnection; got: Frame[] } {
  const [client, server] = createLocalPair({ kind: 'ws' });
  const got: Frame[] = [];
  client.onMessage((f) => got.push(f));
  return { client, server, got };
}

test('mux: frames both ways keep order and content; many frames leave as one message', async () => {
  const m = setup();
  const s = socket();
  m.a.bridge(s.server, 'ROOM42');
  for (let i = 0; i < 50; i++) s.client.send(i % 2 ? new Uint8Array([i, i + 1, 255]) : `text ${i}`);
  await settle();
  assert.equal(m.opened.length, 1);
  const { conn, meta } = m.opened[0];
  assert.equal(meta, 'ROOM42');
  assert.equal(conn.kind, 'ws');
  const seen: Frame[] = [];
  conn.onMessage((f) => seen.push(f)); // frames that arrived before a listener are kept
  assert.equal(seen.length, 50);
  for (let i = 0; i < 50; i++) {
    if (i % 2) assert.deepEqual([...(seen[i] as Uint8Array)], [i, i + 1, 255]);
    else assert.equal(seen[i], `text ${i}`);
  }
  assert.ok(m.posted.a <= 3, `50 frames in ${m.posted.a} postMessages`);

  const before = m.posted.b;
  for (let i = 0; i < 200; i++) conn.send(new Uint8Array(100).fill(i & 0xff), i % 3 ? 'unreliable' : 'reliable');
  conn.send('{"type":"roster"}');
  await settle();
  assert.equal(m.posted.b - before, 1, '201 frames, one postMessage');
  assert.equal(s.got.length, 201);
  assert.equal((s.got[199] as Uint8Array).byteLength, 100);
  assert.equal((s.got[199] as Uint8Array)[0], 199);
  assert.equal(s.got[200], '{"type":"roster"}');
  m.close();
});

test('mux: a text frame sent to many connections travels once per batch', async () => {
  const ch = new MessageChannel();
  const batches: unknown[] = [];
  const a = new MuxEndpoint({ postMessage: (m, t) => ch.port1.postMessage(m, t) });
  const b = new MuxEndpoint({ postMessage: (m, t) => (batches.push(m), ch.port2.postMessage(m, t)) });
  ch.port1.on('message', (m) => isMuxBatch(m) && a.receive(m));
  ch.port2.on('message', (m) => isMuxBatch(m) && b.receive(m));
  const conns: MuxConnection[] = [];
  b.onOpen((c) => conns.push(c));
  const socks = Array.from({ length: 20 }, () => socket());
  for (const s of socks) a.bridge(s.server, 'R');
  await settle();
  const roster = JSON.stringify({ type: 'roster', players: Array.from({ length: 20 }, (_, i) => ({ id: `p${i}` })) });
  batches.length = 0;
  for (const c of conns) c.send(roster);
  await settle();
  assert.equal(batches.length, 1);
  assert.equal((batches[0] as { strs: string[] }).strs.length, 1);
  for (const s of socks) assert.deepEqual(s.got, [roster]);
  ch.port1.close();
  ch.port2.close();
});

test('mux: a big frame grows the batch buffer; explicit flush sends at once', async () => {
  const m = setup();
  const s = socket();
  m.a.bridge(s.server, 'R');
  await settle();
  const conn = m.opened[0].conn;
  const big = new Uint8Array(200_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  conn.send(new Uint8Array([1]));
  conn.send(big);
  m.b.flush();
  await settle();
  assert.equal(s.got.length, 2);
  assert.deepEqual(s.got[1], big);
  m.close();
});

test('mux: a close on the room side closes the socket with its code and reason, and vice versa', async () => {
  const m = setup();
  const s1 = socket();
  const s2 = socket();
  m.a.bridge(s1.server, 'R');
  m.a.bridge(s2.server, 'R');
  await settle();
  const [c1, c2] = m.opened.map((o) => o.conn);
  const reasons: string[] = [];
  s1.client.onClose((r) => reasons.push(`client1:${r}`));
  c1.send('bye');
  c1.close(4003, 'kicked');
  c1.send('after close is dropped');
  await settle();
  assert.deepEqual(s1.got, ['bye']);
  assert.deepEqual(reasons, ['client1:kicked']);
  assert.equal(m.a.size + m.b.size, 2, 'one bridged + one virtual left');

  const closed: string[] = [];
  c2.onClose((r) => closed.push(r));
  s2.client.close(1000, 'tab closed');
  await settle();
  assert.deepEqual(closed, ['tab closed']);
  assert.equal(m.a.size + m.b.size, 0);
  m.close();
});

test('mux: bufferedAmount of the socket is reported to the room side when it changes', async () => {
  const m = setup();
  const s = socket();
  m.a.bridge(s.server, 'R');
  await settle();
  const conn = m.opened[0].conn;
  assert.equal(conn.bufferedAmount, 0);
  s.client.setStalled(true); // the client stops reading: bytes pile up on the server side
  s.server.send(new Uint8Array(5000));
  m.a.reportBuffered();
  await settle();
  assert.equal(conn.bufferedAmount, 5000);
  s.client.setStalled(false);
  await settle();
  m.a.reportBuffered();
  await settle();
  assert.equal(conn.bufferedAmount, 0);
  m.close();
});

test('mux: closeAll (the other side died) closes every socket and virtual connection once', async () => {
  const m = setup();
  const socks = [socket(), socket(), socket()];
  for (const s of socks) m.a.bridge(s.server, 'R');
  await settle();
  const virtualClosed: string[] = [];
  for (const o of m.opened) o.conn.onClose((r) => virtualClosed.push(r));
  const clientClosed: string[] = [];
  for (const s of socks) s.client.onClose((r) => clientClosed.push(r));
  m.a.closeAll('room_crashed');
  m.b.closeAll('main_gone');
  await settle();
  assert.deepEqual(clientClosed, ['room_crashed', 'room_crashed', 'room_crashed']);
  assert.deepEqual(virtualClosed, ['main_gone', 'main_gone', 'main_gone']);
  assert.equal(m.a.size + m.b.size, 0);
  m.close();
});

test('mux: a batch with an unknown operation is rejected with a clear error', () => {
  const m = setup();
  assert.throws(() => m.b.receive({ t: 'mux', ops: Int32Array.from([99, 1, 0, 0]), bin: new ArrayBuffer(0), strs: [] }), /unknown op 99/);
  m.close();
});
