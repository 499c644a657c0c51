import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalPair, ManualClock } from '../../core/net/local';
import type { Frame } from '../../core/net/transport';

test('local pair delivers copies asynchronously and propagates close', async () => {
  const [a, b] = createLocalPair();
  const got: Frame[] = [];
  b.onMessage((f) => got.push(f));
  const buf = new Uint8Array([1, 2, 3]);
  a.send(buf);
  a.send('hi');
  buf[0] = 9; // the sender reusing its buffer must not affect the frame in flight
  assert.equal(got.length, 0, 'asynchronous');
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual([...(got[0] as Uint8Array)], [1, 2, 3]);
  assert.equal(got[1], 'hi');
  const reasons: string[] = [];
  a.onClose((r) => reasons.push('a:' + r));
  b.onClose((r) => reasons.push('b:' + r));
  a.close(1000, 'bye');
  a.send('lost');
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(reasons.sort(), ['a:bye', 'b:bye']);
  assert.equal(got.length, 2);
});

test('latency, ordering, loss on the unreliable channel, stalls (manual clock)', () => {
  const clock = new ManualClock();
  const [a, b] = createLocalPair({ latencyMs: 50, jitterMs: 20, lossRate: 0.5, scheduler: clock, seed: 3 });
  const rel: number[] = [];
  const unrel: number[] = [];
  b.onMessage((f) => {
    const s = f as string;
    if (s.startsWith('r')) rel.push(Number(s.slice(1)));
    else unrel.push(Number(s.slice(1)));
  });
  for (let i = 0; i < 100; i++) {
    a.send('r' + i, 'reliable');
    a.send('u' + i, 'unreliable');
  }
  clock.advance(49);
  assert.equal(rel.length, 0);
  clock.advance(30);
  assert.deepEqual(rel, [...Array(100).keys()], 'reliable: all, in order');
  assert.ok(unrel.length > 25 && unrel.length < 75, `unreliable delivered ${unrel.length}`);
  assert.equal(a.bufferedAmount, 0);
  // a stalled consumer: bytes pile up on the sender
  b.setStalled(true);
  for (let i = 0; i < 10; i++) a.send('r' + 'x'.repeat(100));
  clock.advance(200);
  assert.ok(a.bufferedAmount >= 1000);
  b.setStalled(false);
  assert.equal(a.bufferedAmount, 0);
});
