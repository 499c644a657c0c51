/**
 * The multiplayer flow across four separate Chromium processes: a host (simulation in its Web
 * Worker), two WebRTC peers (one joins by code, one by link) and one peer whose WebRTC is
 * blocked (no loopback ICE candidates) and must play through the server relay.
 */
import { test, expect } from '@playwright/test';
import {
  ARTIFACTS,
  closeAll,
  createRoom,
  joinByCode,
  joinByLink,
  launchPlayer,
  nonBackgroundPixels,
  state,
  waitState,
  writeClientBenchmarks,
  type Player,
} from './harness';
import path from 'node:path';

test.describe.configure({ mode: 'serial' });

let host: Player;
let alice: Player; // joins by code (WebRTC)
let bob: Player; // joins by link (WebRTC)
let carol: Player; // WebRTC blocked -> relay
let code = '';
let joinLinkMs = 0;
const moveMs: Record<string, number[]> = {};
const everyone = () => [host, alice, bob, carol];

test.beforeAll(async () => {
  [host, alice, bob, carol] = await Promise.all([
    launchPlayer('Hosty'),
    launchPlayer('Alice'),
    launchPlayer('Bob'),
    launchPlayer('Carol', { webrtc: false }),
  ]);
});

test.afterAll(async () => {
  await closeAll(everyone());
});

test('lobby renders; host creates a room with code, link and QR', async () => {
  await host.page.goto('/?fps=20');
  await expect(host.page.getByTestId('create-room')).toBeVisible();
  await host.page.screenshot({ path: path.join(ARTIFACTS, 'lobby.png') });
  code = await createRoom(host);
  expect(code).toMatch(/^[A-Z0-9]{4,12}$/);
  await expect(host.page.getByTestId('share-code')).toHaveText(code);
  await expect(host.page.getByTestId('join-link')).toContainText(`/r/${code}`);
  await expect(host.page.getByTestId('qr-code')).toBeVisible();
  const s = await state(host);
  expect(s.connectionMode).toBe('host');
  expect(s.isHost).toBe(true);
});

test('three players join (code, link, relay); all four browsers show four players', async () => {
  await joinByCode(alice, code);
  joinLinkMs = await joinByLink(bob, code);
  await joinByCode(carol, code);
  for (const p of everyone()) await waitState(p, (s) => s.players.length === 4 && s.players.every((q) => Number.isFinite(q.x)), 20_000);
  for (const p of everyone()) await expect(p.page.getByTestId('player-list').locator('li')).toHaveCount(4);
  expect((await state(alice)).connectionMode).toBe('webrtc');
  expect((await state(bob)).connectionMode).toBe('webrtc');
  // Carol's WebRTC cannot connect: she plays through the relay, and her HUD says so.
  const c = await state(carol);
  expect(c.connectionMode).toBe('relay');
  expect(c.webrtcNote).toMatch(/WebRTC unavailable/);
  await expect(carol.page.getByTestId('connection-mode')).toHaveText('relay');
  await expect(alice.page.getByTestId('connection-mode')).toHaveText('WebRTC');
  const names = (await state(host)).players.map((p) => p.name).sort();
  expect(names).toEqual(['Alice', 'Bob', 'Carol', 'Hosty']);
});

/** Resolves with the page's Date.now() when player `id` has moved more than 3 units. */
function watchMove(p: Player, id: string, x0: number, y0: number): Promise<number> {
  return p.page.evaluate(
    ({ id, x0, y0 }) =>
      new Promise<number>((resolve, reject) => {
        const g = (window as unknown as { __game: { state(): { players: { id: string; x: number; y: number }[] } } }).__game;
        const t0 = Date.now();
        const iv = setInterval(() => {
          const q = g.state().players.find((q) => q.id === id);
          if (q && Math.hypot(q.x - x0, q.y - y0) > 3) {
            clearInterval(iv);
            resolve(Date.now());
          } else if (Date.now() - t0 > 5000) {
            clearInterval(iv);
            reject(new Error(`no move of ${id} from (${x0}, ${y0}) seen within 5 s: now at (${q?.x}, ${q?.y})`));
          }
        }, 4);
      }),
    { id, x0, y0 },
  );
}

test('a fifth player is told the room is full (capacity 4 in this suite)', async () => {
  const eve = await launchPlayer('Eve');
  try {
    await eve.page.goto(`/r/${code}?fps=20&name=Eve`);
    await expect(eve.page.getByTestId('error-message')).toContainText(/full/i, { timeout: 15_000 });
    expect((await state(eve)).lastError?.code).toBe('room_full');
  } finally {
    await eve.browser.close();
  }
  expect((await state(host)).players).toHaveLength(4);
});

test('a move is seen by every browser within 500 ms', async () => {
  for (const mover of [alice, carol]) {
    const ms0 = await state(mover);
    const id = ms0.playerId!;
    const me = ms0.players.find((q) => q.id === id)!;
    // Head diagonally for the open middle of the arena (a wall can block one axis, not both).
    const keys = [me.x < ms0.arena.width / 2 ? 'ArrowRight' : 'ArrowLeft', me.y < ms0.arena.height / 2 ? 'ArrowDown' : 'ArrowUp'];
    const before = await Promise.all(everyone().map(async (p) => (await state(p)).players.find((q) => q.id === id)!));
    const watchers = everyone().map((p, i) => watchMove(p, id, before[i].x, before[i].y));
    // Key press time, taken in the mover's page (all browsers share this machine's clock).
    await mover.page.evaluate(() => {
      const w = window as unknown as { __pressed: Promise<number> };
      w.__pressed = new Promise<number>((r) => window.addEventListener('keydown', () => r(Date.now()), { once: true, capture: true }));
    });
    for (const k of keys) await mover.page.keyboard.down(k);
    const t0 = await mover.page.evaluate(() => (window as unknown as { __pressed: Promise<number> }).__pressed);
    const seen = (
      await Promise.all(watchers).finally(async () => {
        for (const k of keys) await mover.page.keyboard.up(k);
      })
    ).map((t) => t - t0);
    console.log(`[e2e] ${mover.name}'s move (${mover === carol ? 'relay' : 'WebRTC'}) seen by host, Alice, Bob, Carol after: ${seen.join(', ')} ms`);
    moveMs[mover === carol ? 'relay' : 'webrtc'] = seen;
    for (const ms of seen) expect(ms).toBeLessThan(500);
  }
});

test('the running game renders (screenshots, canvas non-blank)', async () => {
  for (const p of [host, carol]) {
    const png = await p.page.screenshot({ path: path.join(ARTIFACTS, `game-${p.name}.png`) });
    const px = await nonBackgroundPixels(p.page, png);
    console.log(`[e2e] ${p.name} screenshot: ${px.different} of ${px.total} pixels differ from the background`);
    expect(px.different / px.total).toBeGreaterThan(0.05);
  }
  const canvasPng = await host.page.getByTestId('game-canvas').screenshot();
  const cpx = await nonBackgroundPixels(host.page, canvasPng);
  expect(cpx.different).toBeGreaterThan(2000);
});

test('mode switch reaches every browser', async () => {
  const modes = await host.page.getByTestId('mode-select').locator('option').allTextContents();
  const current = (await state(host)).mode;
  const next = modes.find((m) => m !== current);
  expect(next, `need two modes, got ${modes.join(',')}`).toBeTruthy();
  await host.page.getByTestId('mode-select').selectOption(next!);
  for (const p of everyone()) await waitState(p, (s) => s.mode === next, 5000);
  await expect(bob.page.getByTestId('game-mode')).toHaveText(next!);
});

test('a Lua mod upload takes effect in all browsers', async () => {
  // The mod announces itself and changes every score through the rules API (docs/LUA_API.md).
  const mod = MOD_OK;
  await host.page.getByTestId('mod-name').fill('hello_mod.lua');
  await host.page.getByTestId('mod-editor').fill(mod);
  await host.page.getByTestId('load-mod').click();
  await expect(host.page.getByTestId('mod-error')).toHaveText(/hello_mod\.lua loaded/);
  for (const p of everyone()) {
    await expect(p.page.getByTestId('messages')).toContainText('hello from the mod', { timeout: 5000 });
    await waitState(p, (s) => s.players.length === 4 && s.players.every((q) => q.score >= 5), 5000, 'every score >= 5');
  }
});

test('a broken mod shows its error with the line, and the game goes on', async () => {
  await host.page.getByTestId('mod-name').fill('broken_mod.lua');
  await host.page.getByTestId('mod-editor').fill('-- line 1\nlocal x = 1\nthis is not lua\n');
  await host.page.getByTestId('load-mod').click();
  await expect(host.page.getByTestId('mod-error')).toHaveText(/broken_mod\.lua:3/);
  const t1 = (await state(alice)).tick;
  await waitState(alice, (s) => s.tick > t1 + 30, 5000);
  expect((await state(host)).players).toHaveLength(4);
});

test('a player reloads and gets its slot back (and WebGL renders)', async () => {
  const before = await state(bob);
  const score = before.players.find((p) => p.id === before.playerId)!.score;
  // Same tab, same session: navigate to the join link again, this time forcing Pixi's WebGL
  // renderer (the suite otherwise gets the automatic choice, Canvas 2D on software GL).
  await bob.page.goto(`/r/${code}?fps=20&renderer=webgl`);
  const after = await waitState(bob, (s) => s.playerId === before.playerId && s.players.length === 4 && s.joinMs !== null, 15_000);
  expect(score).toBeGreaterThanOrEqual(5); // from the mod above
  expect(after.players.find((p) => p.id === before.playerId)!.score).toBeGreaterThanOrEqual(score);
  expect(after.renderer).toBe('webgl');
  await waitState(host, (s) => s.players.length === 4 && s.players.every((p) => p.connected), 10_000);
  const png = await bob.page.getByTestId('game-canvas').screenshot({ path: path.join(ARTIFACTS, 'game-webgl-Bob.png') });
  const px = await nonBackgroundPixels(bob.page, png);
  console.log(`[e2e] Bob (WebGL) canvas: ${px.different} of ${px.total} pixels differ from the background`);
  expect(px.different).toBeGreaterThan(2000);
});

test('join time and bundle size are measured against their targets and recorded', async () => {
  const inPage = (await state(bob)).joinMs;
  const { measureBundle } = await import('./bundle-size');
  const b = measureBundle(host.requests);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const loaded = b.loaded!;
  console.log(`[e2e] join link -> game visible: ${joinLinkMs} ms (test clock, navigation to first frame with own player); after reload ${inPage?.toFixed(0)} ms (in-page)`);
  console.log(`[e2e] bundle loaded by a host: JS ${kib(loaded.jsGzip)} + WASM ${kib(loaded.wasmGzip)} = ${kib(loaded.totalGzip)} gzip (${loaded.files} files); everything in dist/: ${kib(b.all.totalGzip)}`);
  console.log(`[e2e] per file (gzip): ${Object.entries(b.perFile).map(([f, n]) => `${f} ${kib(n)}`).join(', ')}`);
  const player = measureBundle(alice.requests).loaded!;
  const fmtMoves = (a: number[] | undefined) => (a ? `${Math.max(...a)} ms (host, Alice, Bob, Carol: ${a.join(', ')})` : 'n/a');
  writeClientBenchmarks({
    'join link → game visible (navigation to first frame showing the own player, WebRTC, localhost)': `${joinLinkMs} ms | < 2000 ms`,
    'page reload → game visible again (same slot, in-page clock)': `${inPage === null ? 'n/a' : Math.round(inPage) + ' ms'} | < 2000 ms`,
    'bundle: all JS + WASM in dist/assets (gzip -9, no fonts)': `${kib(b.all.totalGzip)} (JS ${kib(b.all.jsGzip)}, WASM ${kib(b.all.wasmGzip)}, ${b.all.files} files) | ≤ 400 KiB`,
    'of which a host loads (page + simulation worker + WASM)': `${kib(loaded.totalGzip)} (${loaded.files} files) | ≤ 400 KiB`,
    'of which a joining player loads (no worker, no WASM)': `${kib(player.totalGzip)} (${player.files} files) | –`,
    'key press → move seen in all 4 browsers, mover on WebRTC (worst of 4)': `${fmtMoves(moveMs.webrtc)} | < 500 ms`,
    'key press → move seen in all 4 browsers, mover on the relay (worst of 4)': `${fmtMoves(moveMs.relay)} | < 500 ms`,
  });
  expect(b.all.totalGzip).toBeLessThanOrEqual(400 * 1024);
  expect(joinLinkMs).toBeLessThan(2000);
  expect(loaded.wasmGzip).toBeGreaterThan(0);
  expect(loaded.totalGzip).toBeLessThanOrEqual(400 * 1024);
});

test('the host leaving shows a clear message to the others', async () => {
  // The host closes the tab (pagehide tells WebRTC peers at once), then the browser is gone.
  const t0 = Date.now();
  await host.page.close({ runBeforeUnload: true });
  await host.browser.close();
  for (const p of [alice, bob, carol]) {
    await expect(p.page.getByTestId('error-message')).toContainText(/host left/i, { timeout: 15_000 });
    console.log(`[e2e] ${p.name} told the host left after ${Date.now() - t0} ms`);
  }
});

const MOD_OK = `-- hello_mod.lua: greets everyone and gives every player 5 points when loaded
function on_start()
  game.message("*", "hello from the mod")
  for i = 1, #game.players do
    game.add_score(game.players[i].id, 5)
  end
end
`;
