/**
 * Harness: one separate Chromium process per player (chromium.launch each), the flags from
 * /work/shared/BROWSERS.md, helpers over the read-only `window.__game.state()` handle.
 */
import { chromium, expect, type Browser, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { E2E_PORT } from '../../playwright.config';
import type { GameState } from '../../app/game-state';

export const BASE = `http://127.0.0.1:${E2E_PORT}`;
export const FPS = 20; // follower pages are capped: 4 browsers share 2 cores
export const ARTIFACTS = path.resolve('test-results/artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
];

export interface Player {
  name: string;
  browser: Browser;
  page: Page;
  logs: string[];
  /** URLs this player's browser requested (page and workers). */
  requests: string[];
}

/**
 * Launch a player in its own Chromium process. `webrtc: false` leaves out
 * --allow-loopback-in-peer-connection, so ICE gathers nothing on this loopback-only machine and
 * WebRTC cannot connect (the player must fall back to the relay).
 */
export async function launchPlayer(name: string, opts: { webrtc?: boolean } = {}): Promise<Player> {
  const args = [...BASE_ARGS];
  if (opts.webrtc !== false) args.push('--allow-loopback-in-peer-connection');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args });
  const context = await browser.newContext({
    viewport: { width: 960, height: 640 },
    permissions: opts.webrtc !== false ? ['camera', 'microphone'] : [],
  });
  const page = await context.newPage();
  const logs: string[] = [];
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    logs.push(`[${m.type()}] ${m.text()}`);
    if (logs.length > 500) logs.shift();
  });
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  return { name, browser, page, logs, requests };
}


export type { GameState };

export function state(p: Player): Promise<GameState> {
  return p.page.evaluate(() => (window as unknown as { __game: { state(): GameState } }).__game.state());
}

/**
 * Wait until a predicate over the page's game state holds. The state is polled from Node (the
 * app's CSP forbids eval in the page, which Playwright's waitForFunction would need).
 */
export async function waitState(p: Player, pred: (s: GameState) => boolean, timeout = 15_000, what = pred.toString()): Promise<GameState> {
  const end = Date.now() + timeout;
  let last: GameState | null = null;
  for (;;) {
    try {
      last = await state(p);
      if (pred(last)) return last;
    } catch {
      // page navigating: try again
    }
    if (Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 15));
  }
  throw new Error(`${p.name}: timed out after ${timeout} ms waiting for ${what}\nstate: ${JSON.stringify(last)}\nlogs:\n${p.logs.slice(-25).join('\n')}`);
}

export async function createRoom(p: Player, opts: { serverHosted?: boolean } = {}): Promise<string> {
  await p.page.goto(`${BASE}/?fps=${FPS}`);
  await p.page.getByTestId('player-name').fill(p.name);
  if (opts.serverHosted) await p.page.getByTestId('server-hosted').check();
  await p.page.getByTestId('create-room').click();
  await expect(p.page.getByTestId('room-code')).not.toBeEmpty({ timeout: 15_000 });
  await waitState(p, (s) => s.playerId !== null && s.players.length >= 1);
  return (await p.page.getByTestId('room-code').textContent())!.trim();
}

export async function joinByCode(p: Player, code: string): Promise<void> {
  await p.page.goto(`${BASE}/?fps=${FPS}`);
  await p.page.getByTestId('player-name').fill(p.name);
  await p.page.getByTestId('join-code').fill(code);
  await p.page.getByTestId('join-room').click();
  await waitState(p, (s) => s.playerId !== null);
}

export async function joinByLink(p: Player, code: string): Promise<number> {
  const t0 = Date.now();
  await p.page.goto(`${BASE}/r/${code}?fps=${FPS}&name=${encodeURIComponent(p.name)}`);
  await waitState(p, (s) => s.joinMs !== null, 15_000, 'the game to show the own player');
  return Date.now() - t0;
}

/** Count pixels of a PNG that differ from the background color (decoded in a page). */
export async function nonBackgroundPixels(page: Page, png: Buffer, bg = [0x10, 0x13, 0x1a]): Promise<{ total: number; different: number }> {
  return page.evaluate(
    async ({ b64, bg }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(bmp, 0, 0);
      const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      let different = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 24) different++;
      }
      return { total: d.length / 4, different };
    },
    { b64: png.toString('base64'), bg },
  );
}

export async function closeAll(players: (Player | undefined)[]): Promise<void> {
  await Promise.all(players.map((p) => p?.browser.close().catch(() => undefined)));
}

/**
 * Record the client figures: always as JSON in bench/results/client.json; the marker-delimited
 * "Client" section of docs/BENCHMARKS.md is rewritten only with E2E_WRITE_BENCHMARKS=1 (a test
 * run must not edit tracked files by default).
 */
export function writeClientBenchmarks(rows: Record<string, string>): void {
  const json = path.resolve('bench/results');
  fs.mkdirSync(json, { recursive: true });
  const prev = fs.existsSync(path.join(json, 'client.json')) ? JSON.parse(fs.readFileSync(path.join(json, 'client.json'), 'utf8')) : {};
  fs.writeFileSync(path.join(json, 'client.json'), JSON.stringify({ ...prev, ...rows, measuredAt: new Date().toISOString() }, null, 2) + '\n');
  if (process.env.E2E_WRITE_BENCHMARKS !== '1') return;
  const file = path.resolve('docs/BENCHMARKS.md');
  const begin = '<!-- client-bench:begin -->';
  const end = '<!-- client-bench:end -->';
  const body = [
    begin,
    '',
    `Measured by \`tests/e2e\` (Playwright, Debian Chromium 156 headless, separate processes, loopback-only netns, 2 cores shared), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    '| metric | value | target |',
    '| --- | --- | --- |',
    ...Object.entries(rows).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    end,
  ].join('\n');
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  if (text.includes(begin) && text.includes(end)) {
    text = text.slice(0, text.indexOf(begin)) + body + text.slice(text.indexOf(end) + end.length);
  } else if (/^## Client\s*$/m.test(text)) {
    text = text.replace(/^## Client\s*$/m, `## Client\n\n${body}\n`);
  } else {
    text = `${text.trimEnd()}\n\n## Client\n\n${body}\n`;
  }
  fs.writeFileSync(file, text);
}
