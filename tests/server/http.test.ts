/** Rooms API, static serving, health and metrics against a real server on 127.0.0.1:0. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, createRoom, TestClient, type Started } from './helpers';
import { CODE_RE } from '../../host-server/rooms';
import { loadConfig } from '../../host-server/config';

describe('rooms API', () => {
  let s: Started;
  before(async () => {
    s = await startServer({ lookupsPerMinute: 1000, maxRooms: 20, iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
  });
  after(() => s.close());

  test('create a browser-hosted room, then look it up by code', async () => {
    const { status, json } = await createRoom(s.base, { hosting: 'browser', mode: 'tag', name: 'Friday' });
    assert.equal(status, 201);
    assert.match(json.code, CODE_RE);
    assert.ok(json.code.length >= 5);
    assert.equal(typeof json.hostToken, 'string');
    assert.ok(json.hostToken.length >= 24);
    assert.equal(json.hosting, 'browser');
    assert.deepEqual(json.iceServers, [{ urls: 'stun:127.0.0.1:3478' }]);
    assert.ok(!json.hostPeerId.toUpperCase().includes(json.code), 'peer id must not be derived from the code');

    const res = await fetch(`${s.base}/api/rooms/${json.code.toLowerCase()}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const info = await res.json();
    assert.deepEqual(info, {
      code: json.code,
      name: 'Friday',
      mode: 'tag',
      players: 0,
      capacity: 16,
      hosting: 'browser',
      hostPeerId: json.hostPeerId,
      hostOnline: false,
      iceServers: [{ urls: 'stun:127.0.0.1:3478' }],
    });
    assert.ok(!('hostToken' in info), 'the host token is never given out by lookups');
  });

  test('two rooms get different codes, tokens and peer ids', async () => {
    const a = (await createRoom(s.base)).json;
    const b = (await createRoom(s.base)).json;
    assert.notEqual(a.code, b.code);
    assert.notEqual(a.hostToken, b.hostToken);
    assert.notEqual(a.hostPeerId, b.hostPeerId);
  });

  test('unknown code is 404, malformed code is 400', async () => {
    let res = await fetch(`${s.base}/api/rooms/ZZZZZZ`);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error, 'room_not_found');
    res = await fetch(`${s.base}/api/rooms/abc01`);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_code');
  });

  test('bad bodies are rejected with 400 and a clear message, creating nothing', async () => {
    const before = s.server.rooms.size;
    for (const body of [{ hosting: 'moon' }, { mode: 'DROP TABLE' }, { hosting: 'browser', extra: 1 }, { name: 'x'.repeat(41) }, [1, 2]]) {
      const r = await createRoom(s.base, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error, 'bad_request');
      assert.equal(typeof r.json.message, 'string');
    }
    const res = await fetch(`${s.base}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hosting":' });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'bad_request');
    const big = await fetch(`${s.base}/api/rooms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(10_000) }),
    });
    assert.equal(big.status, 413);
    assert.equal(s.server.rooms.size, before);
  });

  test('no public listing', async () => {
    const res = await fetch(`${s.base}/api/rooms`);
    assert.equal(res.status, 404);
    const peers = await fetch(`${s.base}/peerjs/peerjs/peers`);
    assert.notEqual(peers.status, 200);
  });

  test('max rooms gives 503 server_full', async () => {
    const t = await startServer({ maxRooms: 2 });
    try {
      assert.equal((await createRoom(t.base)).status, 201);
      assert.equal((await createRoom(t.base)).status, 201);
      const r = await createRoom(t.base);
      assert.equal(r.status, 503);
      assert.equal(r.json.error, 'server_full');
    } finally {
      await t.close();
    }
  });
});

test('room lookups are rate limited per IP (429 + Retry-After)', async () => {
  const s = await startServer({ lookupsPerMinute: 5 });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await fetch(`${s.base}/api/rooms/ABCDEF`)).status);
    assert.deepEqual(statuses.slice(0, 5), [404, 404, 404, 404, 404]);
    const res = await fetch(`${s.base}/api/rooms/ABCDEF`);
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    const body = await res.json();
    assert.equal(body.error, 'rate_limited');
    assert.match(body.message, /too many room lookups/);
  } finally {
    await s.close();
  }
});

test('empty rooms expire after the TTL', async () => {
  const s = await startServer({ roomTtlMs: 200 });
  try {
    const { json } = await createRoom(s.base);
    assert.equal((await fetch(`${s.base}/api/rooms/${json.code}`)).status, 200);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await fetch(`${s.base}/api/rooms/${json.code}`)).status, 404);
  } finally {
    await s.close();
  }
});

describe('static client', () => {
  let s: Started;
  before(async () => {
    s = await startServer();
  });
  after(() => s.close());

  test('index.html is not cached and carries the security headers', async () => {
    const res = await fetch(`${s.base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.headers.get('cache-control') ?? '', /no-cache/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.match(csp, /worker-src 'self' blob:/);
    assert.match(csp, /img-src [^;]*data:/);
    assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${s.port} wss://127\\.0\\.0\\.1:${s.port}`));
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(res.headers.get('x-powered-by') === null);
    assert.match(await res.text(), /arena/);
  });

  test('hashed assets are cached immutably and compressed', async () => {
    const res = await fetch(`${s.base}/assets/index-Ab12Cd34.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.match(await res.text(), /export const x/);
    const missing = await fetch(`${s.base}/assets/nope-123.js`);
    assert.equal(missing.status, 404);
    assert.doesNotMatch(missing.headers.get('cache-control') ?? '', /immutable/);
  });

  test('the engine is served as application/wasm (instantiateStreaming), cached immutably', async () => {
    const res = await fetch(`${s.base}/assets/engine_wasm_bg-Ef56Gh78.wasm`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/wasm');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const mod = await WebAssembly.compileStreaming(Promise.resolve(res));
    assert.ok(mod instanceof WebAssembly.Module);
  });

  test('/r/CODE serves the app (join link)', async () => {
    const res = await fetch(`${s.base}/r/ABCDEF`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /no-cache/);
    assert.match(await res.text(), /arena/);
  });

  test('a missing dist/ gives a clear message, not a crash', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'arena-nodist-'));
    const t = await startServer({ distDir: path.join(empty, 'dist') });
    try {
      const res = await fetch(`${t.base}/r/ABCDEF`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /not built.*\n.*vite build/);
      assert.equal((await fetch(`${t.base}/healthz`)).status, 200);
    } finally {
      await t.close();
    }
  });
});

test('healthz and Prometheus metrics', async () => {
  const s = await startServer();
  try {
    await createRoom(s.base);
    const h = await fetch(`${s.base}/healthz`);
    assert.equal(h.status, 200);
    const hj = await h.json();
    assert.equal(hj.ok, true);
    assert.equal(hj.rooms, 1);
    const m = await fetch(`${s.base}/metrics`);
    assert.equal(m.status, 200);
    const text = await m.text();
    assert.match(text, /^arena_rooms\{hosting="browser"\} 1$/m);
    assert.match(text, /^arena_connections\{transport="ws"\} 0$/m);
    assert.match(text, /# TYPE arena_tick_seconds histogram/);
    assert.match(text, /# TYPE arena_lua_seconds histogram/);
    assert.match(text, /# TYPE arena_bytes_out_total counter/);
    // A host link that sent 21 bytes (and got an error back) shows up in the byte counters.
    const { json: room } = await createRoom(s.base);
    const link = new TestClient(`${s.wsBase}/ws?room=${room.code}&role=host&token=${room.hostToken}`);
    await link.opened;
    link.send('{"type":"bogus12345"}');
    await link.waitFor('error');
    const t2 = await (await fetch(`${s.base}/metrics`)).text();
    assert.match(t2, /^arena_bytes_in_total\{transport="host_link"\} 21$/m);
    assert.match(t2, /^arena_bytes_out_total\{transport="host_link"\} [1-9]\d*$/m);
    assert.match(t2, /^arena_connections\{transport="host_link"\} 1$/m);
    link.close();
    assert.match(text, /# TYPE arena_errors_total counter/);
  } finally {
    await s.close();
  }
});

test('configuration from the environment: defaults and clear errors', () => {
  const c = loadConfig({});
  assert.equal(c.port, 4000);
  assert.equal(c.host, '0.0.0.0');
  assert.deepEqual(c.iceServers, []);
  const d = loadConfig({ PORT: '8080', ICE_SERVERS: '[{"urls":"stun:a.example:3478"}]', MAX_ROOMS: '7', LOG_LEVEL: 'warn', ROOM_TTL_MS: '' });
  assert.equal(d.port, 8080);
  assert.deepEqual(d.iceServers, [{ urls: 'stun:a.example:3478' }]);
  assert.equal(d.maxRooms, 7);
  assert.equal(d.logLevel, 'warn');
  assert.equal(d.roomTtlMs, c.roomTtlMs);
  assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
  assert.throws(() => loadConfig({ ICE_SERVERS: 'stun:x' }), /ICE_SERVERS must be JSON/);
  assert.throws(() => loadConfig({ ICE_SERVERS: '[{"url":"stun:x"}]' }), /ICE_SERVERS/);
  assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL must be one of/);
});

test('without the engine build, server-hosted rooms answer 503 with the fix; browser rooms still work', async () => {
  const s = await startServer({ wasmPath: path.join(os.tmpdir(), 'no-such-engine.wasm') });
  try {
    const r = await createRoom(s.base, { hosting: 'server' });
    assert.equal(r.status, 503);
    assert.equal(r.json.error, 'server_hosting_unavailable');
    assert.match(r.json.message, /build-engine\.sh/);
    assert.equal((await createRoom(s.base, { hosting: 'browser' })).status, 201);
    assert.equal((await (await fetch(`${s.base}/healthz`)).json()).serverHosting, false);
  } finally {
    await s.close();
  }
});
