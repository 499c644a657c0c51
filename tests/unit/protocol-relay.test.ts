import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RelayHub,
  decodeHostLinkToHost,
  decodeHostLinkToServer,
  encodeHostLink,
  encodeStateFrame,
  unwrapRelay,
  wrapRelay,
} from '../../core/protocol/relay';
import type { Connection, Frame } from '../../core/net/transport';

test('relay envelope wraps and unwraps text and binary frames', () => {
  const t = wrapRelay('c1', '{"type":"ping","t":1}');
  assert.equal(typeof t, 'string');
  assert.deepEqual(unwrapRelay(t), { conn: 'c1', frame: '{"type":"ping","t":1}' });
  const b = wrapRelay('conn-42', new Uint8Array([1, 2, 3]));
  assert.ok(b instanceof Uint8Array);
  const u = unwrapRelay(b)!;
  assert.equal(u.conn, 'conn-42');
  assert.deepEqual([...(u.frame as Uint8Array)], [1, 2, 3]);
  assert.equal(unwrapRelay('{"type":"relay_open","conn":"x"}'), null);
  assert.equal(unwrapRelay(new Uint8Array([0xf1, 200])), null);
});

test('host-link decoders validate both directions and never throw', () => {
  const open = decodeHostLinkToHost(encodeHostLink({ type: 'relay_open', conn: 'a' }));
  assert.ok(open.ok && open.msg.type === 'relay_open');
  const info = decodeHostLinkToServer(encodeHostLink({ type: 'room_info', players: 2, capacity: 16, mode: 'tag' }));
  assert.ok(info.ok && info.msg.type === 'room_info');
  const st = decodeHostLinkToServer(encodeStateFrame(new Uint8Array([9, 8, 7])));
  assert.ok(st.ok && st.msg.type === 'state');
  if (st.ok && st.msg.type === 'state') assert.deepEqual([...st.msg.blob], [9, 8, 7]);
  // state frames are host -> server only
  assert.equal(decodeHostLinkToHost(encodeStateFrame(new Uint8Array([1]))).ok, false);
  // room_info only host -> server; relay_open only server -> host
  assert.equal(decodeHostLinkToHost(encodeHostLink({ type: 'room_info', players: 1, capacity: 1, mode: 'x' })).ok, false);
  assert.equal(decodeHostLinkToServer(encodeHostLink({ type: 'relay_open', conn: 'a' })).ok, false);
  for (const junk of ['', '{', '[]', '{"type":"relay","conn":"bad id!","data":"x"}', '{"type":"relay","conn":"a"}']) {
    const r = decodeHostLinkToHost(junk);
    assert.equal(r.ok, false, junk);
  }
  assert.equal(decodeHostLinkToServer(new Uint8Array(0)).ok, false);
  const big = decodeHostLinkToServer('x'.repeat(100), 50);
  assert.ok(!big.ok && big.error.code === 'too_large');
});

test('RelayHub turns relayed clients into Connections', async () => {
  const toServer: Frame[] = [];
  const hub = new RelayHub((f) => toServer.push(f));
  const conns: Connection[] = [];
  hub.onConnection((c) => conns.push(c));
  assert.equal(hub.handle(encodeHostLink({ type: 'relay_open', conn: 'c7' })), null);
  assert.equal(conns.length, 1);
  const c = conns[0];
  assert.equal(c.kind, 'relay');
  assert.equal(c.id, 'c7');
  const got: Frame[] = [];
  const closed: string[] = [];
  c.onMessage((f) => got.push(f));
  c.onClose((r) => closed.push(r));
  hub.handle(wrapRelay('c7', '{"type":"ping","t":3}'));
  hub.handle(wrapRelay('c7', new Uint8Array([2, 5])));
  assert.deepEqual(got[0], '{"type":"ping","t":3}');
  assert.deepEqual([...(got[1] as Uint8Array)], [2, 5]);
  // unknown conn and junk are reported, not thrown
  assert.equal(hub.handle(wrapRelay('nobody', 'x'))?.code, 'bad_request');
  assert.equal(hub.handle('garbage')?.code, 'bad_json');
  c.send('{"type":"pong","t":3}');
  assert.deepEqual(unwrapRelay(toServer[0]), { conn: 'c7', frame: '{"type":"pong","t":3}' });
  // host closes the client: the server is told
  c.close(1000, 'kicked');
  const last = decodeHostLinkToServer(toServer[toServer.length - 1]);
  assert.ok(last.ok && last.msg.type === 'relay_close' && last.msg.conn === 'c7');
  assert.deepEqual(closed, ['kicked']);
  assert.equal(hub.size, 0);
  // server-side close
  hub.handle(encodeHostLink({ type: 'relay_open', conn: 'c8' }));
  const c8 = conns[1];
  const closed8: string[] = [];
  c8.onClose((r) => closed8.push(r));
  hub.handle(encodeHostLink({ type: 'relay_close', conn: 'c8', reason: 'ws closed' }));
  assert.deepEqual(closed8, ['ws closed']);
});
