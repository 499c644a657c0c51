/**
 * Batched inputs (InputMsg.earlier): a client sends an unchanged input every `inputEvery` ticks,
 * each message carrying every tick's input since the last; the host still applies one input per
 * tick, never one twice, and the game comes out exactly as with one message per tick.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, flush } from './helpers/room-harness';
import { decodeClientMessage, encodeClientMessage, MAX_EARLIER_INPUTS, type InputMsg } from '../../core/protocol';

test('protocol: a batched input round-trips in binary and JSON; bad batches are refused', () => {
  const msg: InputMsg = { type: 'input', seq: 300, dx: 1, dy: 0, earlier: [[0, 1], [-1, -1]], ack: 297 };
  for (const enc of ['binary', 'json'] as const) {
    const r = decodeClientMessage(encodeClientMessage(msg, enc));
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.msg, msg);
  }
  const bin = encodeClientMessage(msg) as Uint8Array;
  assert.equal(bin[0], 0x03);
  assert.ok(bin.byteLength <= 12, `${bin.byteLength} bytes for 3 inputs and an ack`);
  // a count of 1 or more than MAX_EARLIER_INPUTS + 1, inputs before seq 0, trailing bytes
  const bad = (bytes: number[]) => decodeClientMessage(Uint8Array.from(bytes));
  assert.equal((bad([0x03, 10, 1, 0, 0]) as { error: { code: string } }).error.code, 'bad_binary');
  assert.equal((bad([0x03, 40, MAX_EARLIER_INPUTS + 2, ...new Array(2 * (MAX_EARLIER_INPUTS + 2)).fill(0)]) as { error: { code: string } }).error.code, 'bad_binary');
  assert.equal((bad([0x03, 1, 3, 0, 0, 0, 0, 0, 0]) as { error: { code: string } }).error.code, 'bad_binary');
  assert.equal((bad([0x03, 9, 2, 0, 0, 0, 0, 5, 7]) as { error: { code: string } }).error.code, 'bad_binary');
  const tooMany = JSON.stringify({ type: 'input', seq: 50, dx: 0, dy: 0, earlier: new Array(MAX_EARLIER_INPUTS + 1).fill([0, 0]) });
  assert.equal((decodeClientMessage(tooMany) as { error: { code: string } }).error.code, 'bad_message');
  assert.throws(() => encodeClientMessage({ ...msg, earlier: new Array(MAX_EARLIER_INPUTS + 1).fill([0, 0]) }), /at most/);
});

/** Runs a scripted path (holds, changes, stops) and returns the player's final position and the messages sent. */
async function runPath(inputEvery: number): Promise<{ x: number; y: number; sent: number; applied: number[] }> {
  const h = await Harness.create();
  const c = h.client({ inputEvery });
  let sent = 0;
  const orig = c.conn.send.bind(c.conn);
  c.conn.send = (f, ch) => {
    if (typeof f !== 'string' && f[0] !== 0x02) sent++; // inputs (not acks, not JSON)
    orig(f, ch);
  };
  await flush();
  const w = await c.ready();
  const applied: number[] = [];
  const path: [number, number, number][] = [[1, 0, 40], [1, 0, 17], [0, 1, 31], [-1, -1, 23], [0.5, 0, 11], [0, 0, 40]];
  sent = 0;
  for (const [dx, dy, ticks] of path) {
    c.setInput(dx, dy);
    for (let i = 0; i < ticks; i++) {
      await h.tick(1);
      applied.push(h.sim.players().find((p) => p.id === w.playerId)!.lastInputSeq);
    }
  }
  const e = h.playerEntity(w.playerId)!;
  h.dispose();
  return { x: e.x, y: e.y, sent, applied };
}

test('host: every tick\'s input applied once, in order; same game as one message per tick, fewer messages', async () => {
  const one = await runPath(1);
  const two = await runPath(2);
  const three = await runPath(3);
  // the same inputs were applied: the player ends at the same spot
  for (const r of [two, three]) {
    assert.ok(Math.abs(r.x - one.x) < 1e-6 && Math.abs(r.y - one.y) < 1e-6, `(${r.x}, ${r.y}) vs (${one.x}, ${one.y})`);
  }
  // one input per tick, no seq skipped or applied twice (lastInputSeq grows by 0 or 1 per tick)
  for (const r of [one, two, three]) {
    for (let i = 1; i < r.applied.length; i++) assert.ok(r.applied[i] - r.applied[i - 1] <= 1, `tick ${i}: ${r.applied[i - 1]} -> ${r.applied[i]}`);
  }
  // fewer messages (changes and snapshot acks go at once): ≈ 2/3 and ≈ 1/3
  assert.ok(two.sent < one.sent * 0.7, `${two.sent} vs ${one.sent}`);
  assert.ok(three.sent < one.sent * 0.4, `${three.sent} vs ${one.sent}`);
});

test('host: an input seen before (resent in a batch) is not applied twice', async () => {
  const h = await Harness.create();
  const p = h.raw();
  p.send(JSON.stringify({ type: 'hello', name: 'raw' }));
  await flush();
  const id = p.last('welcome')!.playerId;
  const seqOf = () => h.sim.players().find((x) => x.id === id)!.lastInputSeq;
  p.send(encodeClientMessage({ type: 'input', seq: 1, dx: 1, dy: 0 }));
  p.send(encodeClientMessage({ type: 'input', seq: 3, dx: 1, dy: 0, earlier: [[1, 0], [1, 0]] })); // 1 again, 2, 3
  await flush();
  const seen: number[] = [];
  for (let i = 0; i < 5; i++) {
    await h.tick(1);
    seen.push(seqOf());
  }
  assert.deepEqual(seen, [1, 2, 3, 3, 3]);
  h.dispose();
});
