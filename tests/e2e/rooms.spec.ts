/**
 * Server-hosted rooms (joined over the WebSocket directly), kicking, and the messages a player
 * sees for a room that does not exist. Two separate Chromium processes.
 */
import { test, expect } from '@playwright/test';
import { BASE, FPS, closeAll, createRoom, joinByLink, launchPlayer, state, waitState, type GameState, type Player } from './harness';

test.describe.configure({ mode: 'serial' });

let owner: Player;
let guest: Player;
let code = '';

test.beforeAll(async () => {
  [owner, guest] = await Promise.all([launchPlayer('Olga'), launchPlayer('Gus')]);
});

test.afterAll(async () => {
  await closeAll([owner, guest]);
});

test('a room that does not exist: clear message, by link and by code', async () => {
  await guest.page.goto(`${BASE}/r/ZZZZZ9?fps=${FPS}&name=Gus`);
  await expect(guest.page.getByTestId('error-message')).toContainText(/not found/i);
  expect((await state(guest)).lastError?.code).toBe('room_not_found');
  await guest.page.getByTestId('back-to-lobby').click();
  await guest.page.getByTestId('join-code').fill('QQQQQ7');
  await guest.page.getByTestId('join-room').click();
  await expect(guest.page.getByTestId('error-message')).toContainText(/not found/i);
});

test('a server-hosted room is played over the WebSocket, with host rights for its creator', async () => {
  code = await createRoom(owner, { serverHosted: true });
  const o = await waitState(owner, (s) => s.isHost && s.connectionMode === 'server');
  expect(o.players).toHaveLength(1);
  await expect(owner.page.getByTestId('connection-mode')).toHaveText('server');
  await expect(owner.page.getByTestId('mode-select')).toBeVisible();
  await joinByLink(guest, code);
  const g = await waitState(guest, (s) => s.players.length === 2 && s.connectionMode === 'server');
  expect(g.isHost).toBe(false);
  await expect(guest.page.getByTestId('mode-select')).toHaveCount(0);
  await waitState(owner, (s) => s.players.length === 2);
});

test('the host kicks a player: the player is told, the room shrinks', async () => {
  const gid = (await state(guest)).playerId!;
  await owner.page.getByTestId(`kick-${gid}`).click();
  await expect(guest.page.getByTestId('error-message')).toContainText(/removed from the room/i);
  expect((await state(guest)).lastError?.code).toBe('kicked');
  await waitState(owner, (s) => s.players.length === 1 && !s.players.some((p) => p.id === gid), 10_000);
});

test('on a touch device the on-screen pad moves the player', async () => {
  // Same Chromium process as the kicked guest (its old page is closed): still one player each.
  await guest.page.context().close();
  const ctx = await guest.browser.newContext({ viewport: { width: 412, height: 780 }, hasTouch: true, isMobile: true });
  const page = await ctx.newPage();
  guest.page = page;
  await page.goto(`${BASE}/r/${code}?fps=${FPS}&name=Tess`);
  const s0 = await waitState(guest, (s) => s.playerId !== null && s.players.length === 2 && s.joinMs !== null);
  const me0 = s0.players.find((p) => p.id === s0.playerId)!;
  const moved = (s: GameState) => {
    const p = s.players.find((q) => q.id === s0.playerId)!;
    return Math.hypot(p.x - me0.x, p.y - me0.y) > 20;
  };
  // Toward the middle, horizontally, then vertically if a wall is in the way.
  const pads = [me0.x < s0.arena.width / 2 ? 'touch-right' : 'touch-left', me0.y < s0.arena.height / 2 ? 'touch-down' : 'touch-up'];
  let ok = false;
  for (const id of pads) {
    const pad = page.getByTestId(id);
    await expect(pad).toBeVisible();
    const box = (await pad.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    try {
      await waitState(guest, moved, 2500, `the ${id} pad to move the player`);
      ok = true;
    } catch {
      // blocked by a wall: try the other axis
    } finally {
      await page.mouse.up();
    }
    if (ok) break;
  }
  expect(ok, 'a touch pad button moved the player').toBe(true);
  await waitState(owner, moved, 5000);
});

test('connection lost: the player is told, reconnects by itself and keeps its slot', async () => {
  const before = await state(guest);
  await guest.page.context().setOffline(true);
  await expect(guest.page.getByTestId('error-message')).toContainText(/connection lost|reconnecting/i, { timeout: 15_000 });
  await guest.page.context().setOffline(false);
  const after = await waitState(guest, (s) => s.connectionMode === 'server' && s.lastError === null && s.players.length === 2, 20_000, 'reconnected');
  expect(after.playerId).toBe(before.playerId);
  await expect(guest.page.getByTestId('error-message')).toBeHidden();
});

test('leaving returns to the lobby and frees the slot at once', async () => {
  const oid = (await state(owner)).playerId!;
  await owner.page.getByTestId('leave-room').click();
  await expect(owner.page.getByTestId('create-room')).toBeVisible();
  expect(new URL(owner.page.url()).pathname).toBe('/');
  await waitState(guest, (s) => !s.players.some((p) => p.id === oid), 5000, 'the owner to leave the roster');
});
