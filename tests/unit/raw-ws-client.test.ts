/**
 * The bench's minimal RFC 6455 client (bench/raw-ws-client.ts): frame encoder, incremental
 * frame parser, and a round trip against a real `ws` server on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFrame, closePayload, FrameReceiver, RawWsClient, WsProtocolError, Opcode } from '../../bench/raw-ws-client';

/** Server -> client frame (unmasked), built by hand. */
function serverFrame(opcode: number, payload: Uint8Array, fin = true, rsv = 0): Buffer {
  const len = payload.length;
  const head = len < 126 ? [len] : len < 65536 ? [126, len >> 8, len & 0xff] : [127, 0, 0, 0, 0, (len >>> 24) & 0xff, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff];
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | rsv | opcode, ...head]), payload]);
}

/** Decode a (masked) client frame the way a server would. */
function unmaskClientFrame(f: Buffer): { fin: boolean; opcode: number; masked: boolean; payload: Buffer } {
  let len = f[1] & 0x7f;
  let p = 2;
  if (len === 126) {
    len = f.readUInt16BE(2);
    p = 4;
  } else if (len === 127) {
    len = Number(f.readBigUInt64BE(2));
    p = 10;
  }
  const masked = (f[1] & 0x80) !== 0;
  const key = f.subarray(p, p + 4);
  const data = Buffer.from(f.subarray(p + 4, p + 4 + len));
  for (let i = 0; i < data.length; i++) data[i] ^= key[i & 3];
  assert.equal(f.length, p + 4 + len, 'frame length matches its header');
  return { fin: (f[0] & 0x80) !== 0, opcode: f[0] & 0x0f, masked, payload: data };
}

function collect() {
  const got: { kind: string; data: Buffer; binary?: boolean; opcode?: number }[] = [];
  const rx = new FrameReceiver({
    onMessage: (data, isBinary) => got.push({ kind: 'msg', data: Buffer.from(data), binary: isBinary }),
    onControl: (opcode, payload) => got.push({ kind: 'ctl', data: Buffer.from(payload), opcode }),
  });
  return { rx, got };
}

/** A promise, or a rejection after ms (so a missing reply fails the test instead of hanging it). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

const bytes = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

test('encodeFrame: masked, 7/16/64-bit lengths, payload recoverable and untouched', () => {
  for (const n of [0, 1, 5, 125, 126, 1000, 65535, 65536, 70000]) {
    const payload = bytes(n);
    const copy = Buffer.from(payload);
    const f = encodeFrame(Opcode.Binary, payload, { maskKey: Buffer.from([1, 2, 3, 4]) });
    const d = unmaskClientFrame(f);
    assert.equal(d.masked, true);
    assert.equal(d.fin, true);
    assert.equal(d.opcode, Opcode.Binary);
    assert.deepEqual(d.payload, copy, `payload of ${n} bytes`);
    assert.deepEqual(payload, copy, 'input not modified');
    assert.equal(f[1] & 0x7f, n < 126 ? n : n < 65536 ? 126 : 127);
  }
  // with a non-zero mask the bytes on the wire differ from the payload
  const f = encodeFrame(Opcode.Text, Buffer.from('hello'), { maskKey: Buffer.from([0xff, 0, 0xff, 0]) });
  assert.notDeepEqual(f.subarray(6), Buffer.from('hello'));
  // random mask keys from the pool differ between frames
  const keys = new Set(Array.from({ length: 50 }, () => encodeFrame(Opcode.Binary, bytes(8)).subarray(2, 6).toString('hex')));
  assert.ok(keys.size > 45);
  assert.equal(unmaskClientFrame(encodeFrame(Opcode.Binary, bytes(3), { fin: false })).fin, false);
  assert.throws(() => encodeFrame(Opcode.Binary, bytes(3), { maskKey: Buffer.from([1]) }), RangeError);
  assert.deepEqual(closePayload(4001, 'bye'), Buffer.from([0x0f, 0xa1, 0x62, 0x79, 0x65]));
});

test('FrameReceiver: several frames in one chunk, and the same stream split at every byte', () => {
  const stream = Buffer.concat([
    serverFrame(Opcode.Binary, bytes(3)),
    serverFrame(Opcode.Text, Buffer.from('{"type":"welcome"}')),
    serverFrame(Opcode.Binary, bytes(300)), // 16-bit length
    serverFrame(Opcode.Binary, bytes(70000)), // 64-bit length
    serverFrame(Opcode.Ping, Buffer.from('p')),
    serverFrame(Opcode.Binary, Buffer.alloc(0)),
  ]);
  const expect = (got: ReturnType<typeof collect>['got']) => {
    assert.equal(got.length, 6);
    assert.deepEqual(got[0], { kind: 'msg', data: bytes(3), binary: true });
    assert.deepEqual(got[1], { kind: 'msg', data: Buffer.from('{"type":"welcome"}'), binary: false });
    assert.deepEqual(got[2].data, bytes(300));
    assert.deepEqual(got[3].data, bytes(70000));
    assert.deepEqual(got[4], { kind: 'ctl', data: Buffer.from('p'), opcode: Opcode.Ping });
    assert.deepEqual(got[5], { kind: 'msg', data: Buffer.alloc(0), binary: true });
  };
  const whole = collect();
  whole.rx.push(stream);
  expect(whole.got);
  assert.equal(whole.rx.buffered, 0);
  // byte by byte, through one reused buffer (as the client's shared read buffer does)
  const split = collect();
  const reused = Buffer.alloc(1);
  for (let i = 0; i < stream.length; i++) {
    if (i >= 300 && i < stream.length - 200) continue; // keep the test fast: bulk of the big frame below
    reused[0] = stream[i];
    split.rx.push(reused);
    if (i === 299) split.rx.push(Buffer.from(stream.subarray(300, stream.length - 200)));
  }
  expect(split.got);
  // uneven chunks
  const chunks = collect();
  for (let i = 0, k = 1; i < stream.length; i += k, k = (k * 7 + 3) % 997 || 1) chunks.rx.push(stream.subarray(i, i + k));
  expect(chunks.got);
});

test('FrameReceiver: fragmented messages, with a control frame between the fragments', () => {
  const { rx, got } = collect();
  rx.push(
    Buffer.concat([
      serverFrame(Opcode.Binary, bytes(10, 1), false),
      serverFrame(Opcode.Ping, Buffer.from('x')),
      serverFrame(Opcode.Continuation, bytes(200, 2), false),
      serverFrame(Opcode.Continuation, bytes(5, 3), true),
      serverFrame(Opcode.Text, Buffer.from('hé'), false),
    ]),
  );
  assert.equal(got.length, 2);
  assert.deepEqual(got[0], { kind: 'ctl', data: Buffer.from('x'), opcode: Opcode.Ping });
  assert.deepEqual(got[1], { kind: 'msg', data: Buffer.concat([bytes(10, 1), bytes(200, 2), bytes(5, 3)]), binary: true });
  assert.ok(rx.buffered > 0);
  rx.push(serverFrame(Opcode.Continuation, Buffer.from('llo'), true));
  assert.deepEqual(got[2], { kind: 'msg', data: Buffer.from('héllo'), binary: false });
  // a UTF-8 sequence split across fragments is fine once reassembled
  const e = Buffer.from('€');
  rx.push(Buffer.concat([serverFrame(Opcode.Text, e.subarray(0, 1), false), serverFrame(Opcode.Continuation, e.subarray(1), true)]));
  assert.deepEqual(got[3], { kind: 'msg', data: e, binary: false });
});

test('FrameReceiver: protocol violations fail with the RFC close code', () => {
  const cases: [string, Buffer, number][] = [
    ['masked server frame', Buffer.from([0x82, 0x81, 1, 2, 3, 4, 5]), 1002],
    ['RSV1 without extension', serverFrame(Opcode.Binary, bytes(2), true, 0x40), 1002],
    ['reserved data opcode', serverFrame(0x3, bytes(2)), 1002],
    ['reserved control opcode', serverFrame(0xb, bytes(2)), 1002],
    ['fragmented ping', serverFrame(Opcode.Ping, bytes(2), false), 1002],
    ['ping over 125 bytes', serverFrame(Opcode.Ping, bytes(126)), 1002],
    ['stray continuation', serverFrame(Opcode.Continuation, bytes(2)), 1002],
    ['data frame inside a fragmented message', Buffer.concat([serverFrame(Opcode.Binary, bytes(2), false), serverFrame(Opcode.Binary, bytes(2))]), 1002],
    ['invalid UTF-8 text', serverFrame(Opcode.Text, Buffer.from([0xc3, 0x28])), 1007],
    ['close with 1 byte', serverFrame(Opcode.Close, Buffer.from([3])), 1002],
    ['close with code 1005', serverFrame(Opcode.Close, Buffer.from([0x03, 0xed])), 1002],
  ];
  for (const [name, frame, code] of cases) {
    const { rx, got } = collect();
    assert.throws(
      () => rx.push(frame),
      (e: unknown) => e instanceof WsProtocolError && e.code === code,
      name,
    );
    assert.equal(got.filter((g) => g.kind === 'msg').length, 0, `${name}: no message delivered`);
  }
  const small = new FrameReceiver({ onMessage: () => assert.fail('no message'), onControl: () => {} }, 100);
  assert.throws(() => small.push(serverFrame(Opcode.Binary, bytes(101)).subarray(0, 4)), (e: unknown) => e instanceof WsProtocolError && e.code === 1009);
  // nothing after a close frame is parsed
  const { rx, got } = collect();
  rx.push(Buffer.concat([serverFrame(Opcode.Close, closePayload(1000)), serverFrame(Opcode.Binary, bytes(2))]));
  assert.deepEqual(
    got.map((g) => g.kind),
    ['ctl'],
  );
});

test('RawWsClient against a real ws server on 127.0.0.1', { timeout: 15000 }, async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  t.after(() => {
    for (const c of wss.clients) c.terminate();
    return new Promise<void>((r) => wss.close(() => r()));
  });
  const port = (wss.address() as { port: number }).port;
  const serverSide = once(wss, 'connection') as Promise<[WebSocket, { url?: string }]>;

  const received: { data: Buffer; binary: boolean }[] = [];
  let waiter: (() => void) | null = null;
  const next = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} messages (have ${received.length})`)), 5000);
      waiter = () => {
        if (received.length >= n) {
          clearTimeout(timer);
          waiter = null;
          resolve();
        }
      };
      waiter();
    });
  let closed: { code: number; reason: string } | null = null;
  let opened!: () => void;
  const openP = new Promise<void>((r) => (opened = r));
  let client!: RawWsClient;
  const closedP = new Promise<void>((resolve) => {
    client = new RawWsClient({
      host: '127.0.0.1',
      port,
      path: '/ws?room=ABCD',
      onOpen: () => opened(),
      onMessage: (data, binary) => {
        received.push({ data: Buffer.from(data), binary });
        waiter?.();
      },
      onClose: (code, reason) => {
        closed = { code, reason };
        resolve();
      },
    });
  });
  const [sws, req] = await serverSide;
  assert.equal(req.url, '/ws?room=ABCD');
  await openP;
  assert.equal(client.readyState, 1);

  // client -> server: text, small binary, 16-bit and 64-bit lengths; the server echoes
  const fromClient: { data: Buffer; binary: boolean }[] = [];
  sws.on('message', (data: Buffer, isBinary: boolean) => {
    fromClient.push({ data, binary: isBinary });
    sws.send(data, { binary: isBinary });
  });
  const big = bytes(70000, 9);
  client.send('{"type":"hello","name":"bot"}');
  client.send(bytes(8));
  client.send(bytes(1000));
  client.send(big);
  await next(4);
  assert.deepEqual(
    fromClient.map((m) => [m.binary, m.data.length]),
    [
      [false, 29],
      [true, 8],
      [true, 1000],
      [true, 70000],
    ],
  );
  assert.equal(received[0].data.toString(), '{"type":"hello","name":"bot"}');
  assert.equal(received[0].binary, false);
  assert.deepEqual(received[3].data, big);

  // server -> client: a fragmented message (ws sends fin:false fragments as continuations)
  sws.send(bytes(50, 1), { binary: true, fin: false });
  sws.send(bytes(60, 2), { binary: true, fin: false });
  sws.send(bytes(7, 3), { binary: true, fin: true });
  await next(5);
  assert.deepEqual(received[4].data, Buffer.concat([bytes(50, 1), bytes(60, 2), bytes(7, 3)]));

  // server ping -> client pong with the same payload
  const pong = once(sws, 'pong');
  sws.ping(Buffer.from('are you there'));
  assert.equal(((await within(pong, 3000, 'pong')) as [Buffer])[0].toString(), 'are you there');

  // many small messages in a burst (several frames per TCP chunk)
  for (let i = 0; i < 200; i++) sws.send(Buffer.from([0x10, i]));
  await next(205);
  assert.deepEqual(
    received.slice(5).map((m) => m.data[1]),
    Array.from({ length: 200 }, (_, i) => i),
  );

  // server closes with a code: the client echoes it and reports it
  const serverClosed = once(sws, 'close') as Promise<[number, Buffer]>;
  sws.close(4001, 'bench over');
  const [code] = await within(serverClosed, 3000, 'server close');
  assert.equal(code, 4001);
  await within(closedP, 3000, 'client close');
  assert.deepEqual(closed, { code: 4001, reason: 'bench over' });
  assert.equal(client.readyState, 3);
});

test('RawWsClient: client-initiated close, and a refused handshake', { timeout: 15000 }, async (t) => {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    verifyClient: (info: { req: { url?: string } }) => !info.req.url?.includes('nope'),
  });
  await once(wss, 'listening');
  t.after(() => {
    for (const c of wss.clients) c.terminate();
    return new Promise<void>((r) => wss.close(() => r()));
  });
  const port = (wss.address() as { port: number }).port;

  const conn = once(wss, 'connection') as Promise<[WebSocket]>;
  const done = new Promise<number>((resolve) => {
    const c = new RawWsClient({ host: '127.0.0.1', port, path: '/', onOpen: () => c.close(1000, 'done'), onClose: (code) => resolve(code) });
  });
  const [sws] = await conn;
  const [code, reason] = (await once(sws, 'close')) as [number, Buffer];
  assert.equal(code, 1000);
  assert.equal(reason.toString(), 'done');
  assert.equal(await done, 1000);

  const errors: Error[] = [];
  const refused = await new Promise<number>((resolve) => {
    new RawWsClient({
      host: '127.0.0.1',
      port,
      path: '/nope',
      onOpen: () => assert.fail('must not open'),
      onError: (e) => errors.push(e),
      onClose: (c) => resolve(c),
    });
  });
  assert.equal(refused, 1002);
  assert.match(errors[0]?.message ?? '', /unexpected response HTTP\/1\.1 401/);
});
