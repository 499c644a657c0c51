/** Graceful shutdown: SIGTERM to a child process running host-server/main.ts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import path from 'node:path';
import { createRoom, makeDist, TestClient, wsClientConnection } from './helpers';
import { GameClient } from '../../core/client/game-client';

const MAIN = path.resolve(import.meta.dirname, '../../host-server/main.ts');

test('SIGTERM: stop accepting, tell clients server_shutdown, close cleanly, exit 0', async () => {
  const child = fork(MAIN, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DIST_DIR: makeDist() },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.on('message', (m: any) => m?.type === 'listening' && resolve(m.port));
      child.on('exit', (code) => reject(new Error(`server exited early (${code}): ${stderr}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const { json: room } = await createRoom(base);
    const link = new TestClient(`ws://127.0.0.1:${port}/ws?room=${room.code}&role=host&token=${room.hostToken}`);
    await link.opened;
    const peer = new TestClient(`ws://127.0.0.1:${port}/peerjs/peerjs?key=peerjs&id=p1&token=t`);
    await peer.waitFor('OPEN');
    // A player of a server-hosted room, on the app's own protocol client.
    const { json: hosted } = await createRoom(base, { hosting: 'server' });
    const gc = new GameClient(await wsClientConnection(`ws://127.0.0.1:${port}/ws?room=${hosted.code}`), { name: 'p', pingIntervalMs: 0 });
    await gc.ready();
    const gcErrors: string[] = [];
    gc.on('error', (e) => gcErrors.push(e.code));
    const gcClosed = new Promise<string>((resolve) => gc.on('close', resolve));

    child.kill('SIGTERM');
    const err = await link.waitFor('error', 5000);
    assert.equal(err.code, 'server_shutdown');
    const closed = await link.waitClosed(5000);
    assert.equal(closed.code, 1001);
    assert.equal(closed.reason, 'server_shutdown');
    await peer.waitClosed(5000);
    assert.equal(await gcClosed, 'server_shutdown');
    assert.deepEqual(gcErrors, ['server_shutdown']);
    assert.equal(await exited, 0, stderr);
    await assert.rejects(fetch(`${base}/healthz`));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
