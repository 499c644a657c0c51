/**
 * A hidden host tab must not stall the room. Headless Chromium never hides a tab, so the host's
 * page is put into the state a background tab is in: `document.hidden` + `visibilitychange`,
 * requestAnimationFrame never fires, and main-thread timers run at most once a second (Chrome's
 * background throttling). The simulation runs in a Web Worker and peers' frames are bridged by
 * events, not timers, so the other player must still see the room tick at full rate and its
 * moves must still go through.
 */
import { test, expect } from '@playwright/test';
import { closeAll, createRoom, joinByLink, launchPlayer, state, waitState, type Player } from './harness';

let host: Player;
let pat: Player;

test.afterAll(async () => {
  await closeAll([host, pat]);
});

test('a hidden host tab keeps the room running at full rate', async () => {
  [host, pat] = await Promise.all([launchPlayer('Hidden'), launchPlayer('Pat')]);
  const code = await createRoom(host);
  await joinByLink(pat, code);
  await waitState(pat, (s) => s.players.length === 2 && s.connectionMode === 'webrtc');

  const hidden = await host.page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    window.requestAnimationFrame = () => 0;
    const st = window.setTimeout.bind(window);
    const si = window.setInterval.bind(window);
    window.setTimeout = ((fn: TimerHandler, ms?: number, ...a: unknown[]) => st(fn, Math.max(1000, ms ?? 0), ...a)) as typeof window.setTimeout;
    window.setInterval = ((fn: TimerHandler, ms?: number, ...a: unknown[]) => si(fn, Math.max(1000, ms ?? 0), ...a)) as typeof window.setInterval;
    document.dispatchEvent(new Event('visibilitychange'));
    return document.hidden;
  });
  expect(hidden).toBe(true);
  // Let anything the page had already scheduled run out.
  await pat.page.waitForTimeout(1500);

  // The room's tick rate as the other player sees it, over 3 s of wall time.
  const a = await state(pat);
  const t0 = Date.now();
  await pat.page.waitForTimeout(3000);
  const b = await state(pat);
  const rate = ((b.tick - a.tick) * 1000) / (Date.now() - t0);
  console.log(`[e2e] hidden host: the room ticks at ${rate.toFixed(1)} Hz as seen by Pat`);
  expect(rate).toBeGreaterThan(50);

  // Pat's moves are still simulated by the hidden host.
  const me = (s: typeof a) => s.players.find((p) => p.id === s.playerId)!;
  const x0 = me(b).x;
  const y0 = me(b).y;
  // Head diagonally for the open middle of the arena (a wall can block one axis, not both).
  const keys = [x0 < b.arena.width / 2 ? 'ArrowRight' : 'ArrowLeft', y0 < b.arena.height / 2 ? 'ArrowDown' : 'ArrowUp'];
  for (const k of keys) await pat.page.keyboard.down(k);
  try {
    await waitState(pat, (s) => Math.hypot(me(s).x - x0, me(s).y - y0) > 30, 5_000, 'Pat to move while the host is hidden');
  } finally {
    for (const k of keys) await pat.page.keyboard.up(k);
  }
});
