import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeClientMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeServerMessage,
  encodeSnapshotFrame,
  encodeJsonSnapshot,
  wireAxis,
  type ClientMessage,
} from '../../core/protocol';
import { encodeSnapshotBody, quantizeEntities } from '../../core/snapshot/codec';
import { ByteWriter, utf8Length } from '../../core/protocol/bytes';
import { ClientMessageSchema } from '../../core/protocol/messages';

function err(frame: string | Uint8Array, maxBytes?: number) {
  const r = decodeClientMessage(frame, { maxBytes });
  assert.equal(r.ok, false, `expected failure for ${String(frame).slice(0, 60)}`);
  return (r as { ok: false; error: { code: string; message: string } }).error;
}

test('legacy action is accepted as-is, with or without player_id', () => {
  const r = decodeClientMessage('{"action":"move","direction":"right","player_id":"player_1"}');
  assert.ok(r.ok);
  assert.deepEqual(r.msg, { type: 'action', action: 'move', direction: 'right', player_id: 'player_1' });
  const r2 = decodeClientMessage('{"action":"move","direction":"up"}');
  assert.ok(r2.ok && r2.msg.type === 'action' && r2.msg.direction === 'up');
});

test('malformed JSON, non-objects and missing type are rejected with clear codes', () => {
  assert.equal(err('{"action":').code, 'bad_json');
  assert.equal(err('not json').code, 'bad_json');
  assert.equal(err('[1,2]').code, 'bad_json');
  assert.equal(err('null').code, 'bad_json');
  assert.equal(err('{"name":"x"}').code, 'bad_message');
});

test('unknown message types are rejected', () => {
  assert.equal(err('{"type":"teleport","x":1}').code, 'unknown_type');
  assert.equal(err(new Uint8Array([0x7f, 1, 2])).code, 'unknown_type');
  // server-only types are not client messages
  assert.equal(err('{"type":"welcome"}').code, 'unknown_type');
});

test('wrong field types are rejected by the schema', () => {
  assert.equal(err('{"type":"input","seq":"1","dx":0,"dy":0}').code, 'bad_message');
  assert.equal(err('{"type":"input","seq":1,"dx":2,"dy":0}').code, 'bad_message');
  assert.equal(err('{"type":"input","seq":-1,"dx":0,"dy":0}').code, 'bad_message');
  assert.equal(err('{"type":"input","seq":1.5,"dx":0,"dy":0}').code, 'bad_message');
  assert.equal(err('{"action":"move","direction":"sideways"}').code, 'bad_message');
  assert.equal(err('{"action":42}').code, 'bad_message');
  assert.equal(err('{"type":"hello","name":""}').code, 'bad_message');
  assert.equal(err('{"type":"hello","name":"a\\u0007b"}').code, 'bad_message');
  assert.equal(err('{"type":"hello","name":"   "}').code, 'bad_message');
  assert.equal(err('{"type":"hello","name":"a","encoding":"xml"}').code, 'bad_message');
  assert.equal(err('{"type":"load_mod","name":"../etc/passwd","code":""}').code, 'bad_message');
  assert.equal(err('{"action":"move","extra":{"nested":true}}').code, 'bad_message');
  const e = err('{"type":"ping","t":"now"}');
  assert.equal(e.code, 'bad_message');
  assert.match(e.message, /^t: /);
});

test('oversized frames are rejected before parsing', () => {
  const big = JSON.stringify({ type: 'hello', name: 'x', pad: 'a'.repeat(5000) });
  assert.equal(err(big).code, 'too_large');
  // limit is configurable; invalid JSON over the limit is still too_large (never parsed)
  assert.equal(err('{' + ' '.repeat(200), 100).code, 'too_large');
  assert.equal(err(new Uint8Array(5000)).code, 'too_large');
  // multi-byte characters count as bytes
  const emoji = JSON.stringify({ type: 'hello', name: 'x', pad: '\u{1F600}'.repeat(1100) });
  assert.ok(emoji.length < 4096);
  assert.equal(err(emoji).code, 'too_large');
});

test('bad binary frames never throw', () => {
  assert.equal(err(new Uint8Array([])).code, 'bad_binary');
  assert.equal(err(new Uint8Array([0x01])).code, 'bad_binary');
  assert.equal(err(new Uint8Array([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).code, 'bad_binary');
  assert.equal(err(new Uint8Array([0x02, 5, 9])).code, 'bad_binary');
  // random garbage: must return a result, not throw
  let seed = 7;
  for (let i = 0; i < 500; i++) {
    const n = 1 + (i % 40);
    const b = new Uint8Array(n);
    for (let k = 0; k < n; k++) b[k] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const r = decodeClientMessage(b);
    assert.equal(typeof r.ok, 'boolean');
    const s = decodeServerMessage(b);
    assert.equal(typeof s.ok, 'boolean');
  }
});

test('__proto__ keys do not pollute', () => {
  const r = decodeClientMessage('{"action":"move","__proto__":{"polluted":1}}');
  assert.ok(r.ok);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal((r.msg as Record<string, unknown>).polluted, undefined);
});

test('client messages round-trip in binary and JSON encodings', () => {
  const msgs: ClientMessage[] = [
    { type: 'hello', name: 'Ann', encoding: 'json', token: 'abc' },
    { type: 'input', seq: 12345, dx: 1, dy: -1, ack: 99 },
    { type: 'input', seq: 1, dx: 0, dy: 0 },
    { type: 'ack', tick: 300 },
    { type: 'ping', t: 12.5 },
    { type: 'set_mode', mode: 'tag' },
    { type: 'load_mod', name: 'my_mod.lua', code: 'print(1)' },
    { type: 'kick', player: 'player_2' },
    { type: 'leave' },
  ];
  for (const enc of ['binary', 'json'] as const) {
    for (const m of msgs) {
      const f = encodeClientMessage(m, enc);
      if (enc === 'binary' && (m.type === 'input' || m.type === 'ack')) assert.ok(f instanceof Uint8Array);
      else assert.equal(typeof f, 'string');
      const r = decodeClientMessage(f);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.msg, m);
    }
  }
  // binary inputs are quantized to 1/127; wireAxis tells the exact value the host sees
  const r = decodeClientMessage(encodeClientMessage({ type: 'input', seq: 3, dx: 0.3, dy: -0.71 }));
  assert.ok(r.ok && r.msg.type === 'input');
  if (r.msg.type === 'input') {
    assert.equal(r.msg.dx, wireAxis(0.3));
    assert.ok(Math.abs(r.msg.dx - 0.3) < 1 / 254 + 1e-9);
  }
  const bin = encodeClientMessage({ type: 'input', seq: 100, dx: 1, dy: 0, ack: 1000 }) as Uint8Array;
  assert.ok(bin.byteLength <= 7, `input is ${bin.byteLength} bytes`);
});

test('server messages: JSON validated, binary snapshot parsed, junk rejected', () => {
  const welcome = {
    type: 'welcome' as const,
    v: 1,
    playerId: 'player_1',
    token: 't',
    room: 'ABCD',
    tick: 0,
    mode: 'coin_rush',
    modes: ['coin_rush'],
    arena: { width: 100, height: 50 },
    snapshotHz: 20,
    tickHz: 60,
    isHost: true,
    encoding: 'binary' as const,
    reconnected: false,
  };
  const r = decodeServerMessage(encodeServerMessage(welcome));
  assert.ok(r.ok);
  assert.deepEqual(r.msg, welcome);
  const bad = decodeServerMessage(JSON.stringify({ ...welcome, tick: 'x' }));
  assert.ok(!bad.ok && bad.error.code === 'bad_message');
  const unk = decodeServerMessage('{"type":"nope"}');
  assert.ok(!unk.ok && unk.error.code === 'unknown_type');
  const e = decodeServerMessage('{"type":"error","code":"spoofed_player_id","message":"no"}');
  assert.ok(e.ok);

  const ents = quantizeEntities([
    { id: 3, kind: 'player', x: 10, y: 20, vx: 1, vy: 0, r: 1, h: 1, flags: 2, owner: 'player_1' },
    { id: 9, kind: 'coin', x: 5.5, y: 6.25, vx: 0, vy: 0, r: 0.5, h: 0.5, flags: 0 },
  ]);
  const frame = encodeSnapshotFrame(42, null, 7, encodeSnapshotBody(ents, 42, null, 0));
  const s = decodeServerMessage(frame);
  assert.ok(s.ok && s.msg.type === 'snapshot_bin');
  if (s.msg.type === 'snapshot_bin') {
    assert.equal(s.msg.tick, 42);
    assert.equal(s.msg.baseTick, null);
    assert.equal(s.msg.lastInputSeq, 7);
    assert.deepEqual(s.msg.added, ents);
  }
  // truncated snapshot
  const t = decodeServerMessage(frame.subarray(0, frame.length - 3));
  assert.ok(!t.ok && t.error.code === 'bad_binary');
  // JSON snapshot
  const js = decodeServerMessage(encodeJsonSnapshot(5, 2, JSON.stringify([{ id: 1, kind: 'npc', x: 1, y: 2, vx: 0, vy: 0, r: 1, h: 1, flags: 0 }])));
  assert.ok(js.ok && js.msg.type === 'snapshot');
});

test('utf8Length matches TextEncoder, lone surrogates included', () => {
  const enc = new TextEncoder();
  for (const s of ['', 'abc', 'é', '\u4e00', '\ud83d\ude00', '\ud800\u4e00', '\ud800', 'a\udc00b', '\ud800\ud800\ude00']) {
    assert.equal(utf8Length(s), enc.encode(s).length, JSON.stringify(s));
  }
});

test('binary input/ack fast path: same message as the schema path, same errors out of range', () => {
  const frame = (seq: number, ack?: number): Uint8Array => {
    const w = new ByteWriter(16).u8(0x01).uvar(seq).i8(127).i8(-64);
    if (ack !== undefined) w.uvar(ack);
    return w.finish();
  };
  const ok = decodeClientMessage(frame(2 ** 48, 7));
  assert.ok(ok.ok);
  assert.deepEqual(ok.msg, { type: 'input', seq: 2 ** 48, dx: 1, dy: -64 / 127, ack: 7 });
  assert.deepEqual(ok.msg, ClientMessageSchema.parse(ok.msg));
  // beyond the schema's 2^48 (a 7-byte varint still reads): the schema's error, as for JSON
  const json = decodeClientMessage(JSON.stringify({ type: 'input', seq: 2 ** 48 + 1, dx: 0, dy: 0 }));
  for (const bad of [decodeClientMessage(frame(2 ** 48 + 1)), decodeClientMessage(frame(1, 2 ** 48 + 1))]) {
    assert.ok(!bad.ok && !json.ok);
    assert.equal(bad.error.code, 'bad_message');
    assert.match(bad.error.message, /^(seq|ack): /);
  }
  assert.equal((decodeClientMessage(frame(2 ** 48 + 1)) as { error: { message: string } }).error.message, (json as { error: { message: string } }).error.message);
  const ack = decodeClientMessage(new ByteWriter(8).u8(0x02).uvar(2 ** 48 + 5).finish());
  assert.ok(!ack.ok && ack.error.code === 'bad_message' && ack.error.message.startsWith('tick: '));
  const ackOk = decodeClientMessage(new ByteWriter(8).u8(0x02).uvar(300).finish());
  assert.ok(ackOk.ok);
  assert.deepEqual(ackOk.msg, { type: 'ack', tick: 300 });
});

test('encodeSnapshotFrame: header varints + body in one exact-size buffer', () => {
  const body = new Uint8Array([9, 8, 7, 6, 5]);
  for (const [tick, base, seq] of [[0, null, 0], [127, 126, 128], [2 ** 40 + 3, 2 ** 40, 2 ** 35], [300, null, 16383]] as [number, number | null, number][]) {
    const f = encodeSnapshotFrame(tick, base, seq, body);
    const ref = new ByteWriter(64).u8(0x10).uvar(tick).uvar(base === null ? 0 : tick - base).uvar(seq).bytes(body).finish();
    assert.deepEqual(f, ref);
    assert.equal(f.buffer.byteLength, f.byteLength);
  }
  assert.throws(() => encodeSnapshotFrame(-1, null, 0, body), /uvar out of range/);
  assert.throws(() => encodeSnapshotFrame(5, null, 1.5, body), /uvar out of range/);
});
