/**
 * PeerJS signaling (`peer`'s ExpressPeerServer) mounted on our own HTTP server.
 *
 * Two details make it live next to our own /ws endpoint:
 *  - `peer` would attach a `ws` server to the HTTP server in "server" mode, which answers
 *    every upgrade it doesn't own with a 400 and so fights any other upgrade handler. We hand it
 *    a `noServer` WebSocketServer instead (createWebSocketServer) and route upgrades ourselves.
 *  - `peer` runs two self-rescheduling timers for ever; we run them unref'd and stoppable so
 *    close() really ends everything (tests start and stop servers in one process).
 */
import type http from 'node:http';
import type { Express } from 'express';
import { ExpressPeerServer, type IClient } from 'peer';
import { WebSocketServer } from 'ws';

export interface PeerSignaling {
  /** WebSocket path of the signaling socket (e.g. "/peerjs/peerjs"). */
  readonly wsPath: string;
  readonly wss: WebSocketServer;
  onPeer(cb: (peerId: string, online: boolean) => void): void;
  close(): void;
  readonly clientCount: number;
}

export function mountPeerSignaling(app: Express, httpServer: http.Server, mountPath = '/peerjs'): PeerSignaling {
  let wss: WebSocketServer | null = null;
  let wsPath = '';
  let stopped = false;
  const listeners: ((peerId: string, online: boolean) => void)[] = [];
  const peerApp = ExpressPeerServer(httpServer, {
    path: '/',
    allow_discovery: false,
    proxied: false,
    alive_timeout: 60_000,
    createWebSocketServer: (options) => {
      wsPath = options.path ?? '';
      wss = new WebSocketServer({ noServer: true, path: wsPath, maxPayload: 64 * 1024 });
      return wss;
    },
  });
  peerApp.on('connection', (client: IClient) => listeners.forEach((cb) => cb(client.getId(), true)));
  peerApp.on('disconnect', (client: IClient) => listeners.forEach((cb) => cb(client.getId(), false)));
  peerApp.on('error', () => {
    /* socket errors of signaling clients: the client is dropped by peer itself */
  });

  // Mounting starts peer's timers: run it with a setTimeout that makes them unref'd and stoppable.
  const realSetTimeout = globalThis.setTimeout;
  const wrapped = ((cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = realSetTimeout(() => {
      if (stopped) return;
      const prev = globalThis.setTimeout;
      globalThis.setTimeout = wrapped;
      try {
        cb(...args);
      } finally {
        globalThis.setTimeout = prev;
      }
    }, ms);
    t.unref();
    return t;
  }) as typeof setTimeout;
  globalThis.setTimeout = wrapped;
  try {
    app.use(mountPath, peerApp);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  if (!wss) throw new Error('peer did not create its WebSocket server at mount');
  const server: WebSocketServer = wss;
  return {
    wsPath,
    wss: server,
    onPeer: (cb) => listeners.push(cb),
    get clientCount() {
      return server.clients.size;
    },
    close() {
      stopped = true;
      for (const ws of server.clients) ws.close(1001, 'server_shutdown');
      server.close();
    },
  };
}
