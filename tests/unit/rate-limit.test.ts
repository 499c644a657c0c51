import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedRateLimiter } from '../../host-server/rate-limit';

test('KeyedRateLimiter keeps at most maxKeys buckets even when every key is active', () => {
  const lim = new KeyedRateLimiter(60, 3);
  for (let i = 0; i < 10; i++) assert.equal(lim.check(`10.0.0.${i}`), 0);
  const size = (lim as unknown as { buckets: Map<string, unknown> }).buckets.size;
  assert.ok(size <= 3, `buckets: ${size}`);
  // the newest keys keep their (used) buckets
  const l2 = new KeyedRateLimiter(1, 2);
  assert.equal(l2.check('a'), 0);
  assert.equal(l2.check('b'), 0);
  assert.ok(l2.check('b') > 0, 'b limited');
  assert.equal(l2.check('c'), 0); // evicts a, the oldest
  assert.ok(l2.check('c') > 0, 'c limited');
  assert.ok(l2.check('b') > 0, 'b still limited');
});
