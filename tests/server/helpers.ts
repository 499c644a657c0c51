/** Shared helpers for the server integration tests: a real server on 127.0.0.1:0, real clients. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import pino from 'pino';
import { createServer, type ArenaServer, type ServerDeps } from '../../host-server/server';
import type { ServerConfig } from '../../host-server/config';
import type { Frame } from '../../core/net/transport';

export interface Started {
  server: ArenaServer;
  base: string;
  wsBase: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(cfg: Partial<ServerConfig> = {}, deps: ServerDeps = {}): Promise<Started> {
  const server = createServer(
    { host: '127.0.0.1', port: 0, logLevel: 'silent', distDir: makeDist(), ...cfg },
    { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), ...deps },
  );
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    server,
    port,
    base: `http://127.0.0.1:${port}`,
    wsBase: `ws://127.0.0.1:${port}`,
    close: () => server.close(),
  };
}

let distDir: string | null = null;
/** A small stand-in for the Vite build: index.html plus one hashed asset (real files on disk). */
export function makeDist(): string {
  if (distDir) return distDir;
  distDir = fs.mkdtempSync(path.join(os.tmpdir(), 'arena-dist-'));
  fs.mkdirSync(path.join(distDir, 'assets'));
  fs.writeFileSync(
    path.join(distDir, 'index.html'),
    '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body>arena</body></html>\n',
  );
  fs.writeFileSync(path.join(distDir, 'assets', 'index-Ab12Cd34.js'), `export const x = ${JSON.stringify('y'.repeat(5000))};\n`);
  // The smallest valid WebAssembly module (magic + version).
  fs.writeFileSync(path.join(distDir, 'assets', 'engine_wasm_bg-Ef56Gh78.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  return distDir;
}

export async function createRoom(base: string, body: unknown = { hosting: 'browser' }): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** A WebSocket client that records every frame; text frames are parsed as JSON. */
export class TestClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  readonly json: any[] = [];
  closed: { code: number; reason: string } | null = null;
  private waiters: (() => void)[] = [];
  readonly opened: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'nodebuffer';
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      const f: Frame = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8');
      this.frames.push(f);
      if (typeof f === 'string') {
        try {
          this.json.push(JSON.parse(f));
        } catch {
          this.json.push({ unparsable: f });
        }
      }
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' || msg instanceof Uint8Array ? msg : JSON.stringify(msg));
  }

  /** Resolves when pred() is true (checked on every frame/close), rejects after timeoutMs. */
  async until<T>(pred: () => T | undefined | null | false, timeoutMs = 3000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${what}; got ${JSON.stringify(this.json.slice(-3)).slice(0, 600)} closed=${JSON.stringify(this.closed)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The first JSON message of this type (after index `from`). */
  waitFor(type: string, timeoutMs = 3000, from = 0): Promise<any> {
    return this.until(() => this.json.slice(from).find((m) => m?.type === type), timeoutMs, `"${type}"`);
  }

  waitClosed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed, timeoutMs, 'close');
  }

  close(): void {
    this.ws.close();
  }
}

/** Client side of a `ws` WebSocket as a core/net Connection (what GameClient talks to). */
export function wsClientConnection(url: string, kind: 'ws' | 'relay' = 'ws'): Promise<import('../../core/net/transport').Connection & { ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'nodebuffer';
    const msgCbs: ((f: Frame) => void)[] = [];
    const closeCbs: ((r: string) => void)[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const f: Frame = isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8');
      for (const cb of msgCbs) cb(f);
    });
    ws.on('close', (code, reason) => {
      for (const cb of closeCbs) cb(reason.toString() || `closed (${code})`);
    });
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        id: `client-${Math.random().toString(36).slice(2)}`,
        kind,
        ws,
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
        send: (f: Frame) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(f);
        },
        close: (code?: number, reason?: string) => ws.close(code ?? 1000, reason),
        onMessage: (cb: (f: Frame) => void) => void msgCbs.push(cb),
        onClose: (cb: (r: string) => void) => void closeCbs.push(cb),
      }),
    );
  });
}

/** The engine and rules exactly as the server loads them (for a real browser-host stand-in). */
export function assets(): { wasm: Uint8Array; scripts: Record<string, string> } {
  const root = path.resolve(import.meta.dirname, '../..');
  const wasm = new Uint8Array(fs.readFileSync(path.join(root, 'engine-wasm/pkg/engine_wasm_bg.wasm')));
  const dir = path.join(root, 'lua_scripts');
  const scripts: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.lua')) scripts[f] = fs.readFileSync(path.join(dir, f), 'utf8');
  return { wasm, scripts };
}

// ---------------------------------------------------------------- JSON-mode players

export function lastSnapshot(c: TestClient): any {
  for (let i = c.json.length - 1; i >= 0; i--) if (c.json[i]?.type === 'snapshot') return c.json[i];
  return undefined;
}
export function myEntity(snap: any, playerId: string): any {
  return snap?.entities.find((e: any) => e.kind === 'player' && e.owner === playerId);
}
/** Waits for a snapshot newer than `tick` (proof the room is still ticking for this client). */
export async function nextSnapshot(c: TestClient, tick: number, timeoutMs = 3000): Promise<any> {
  return c.until(() => {
    const s = lastSnapshot(c);
    return s && s.tick > tick ? s : undefined;
  }, timeoutMs, `a snapshot after tick ${tick}`);
}

export async function joinJson(s: Started, code: string, hello: Record<string, unknown> = {}): Promise<{ c: TestClient; welcome: any }> {
  const c = new TestClient(`${s.wsBase}/ws?room=${code}&encoding=json`);
  await c.opened;
  c.send({ type: 'hello', name: 'tester', ...hello });
  const welcome = await c.waitFor('welcome');
  await ownSnapshot(c, welcome.playerId);
  return { c, welcome };
}

/** The first snapshot that contains this player's entity (the one sent with welcome may predate the join). */
export function ownSnapshot(c: TestClient, playerId: string): Promise<any> {
  return c.until(() => c.json.find((m) => m?.type === 'snapshot' && myEntity(m, playerId)), 3000, `a snapshot with ${playerId}`);
}
