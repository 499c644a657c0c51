/**
 * Entry point: reads the configuration from the environment (see README "Configuration"),
 * listens, and shuts down gracefully on SIGTERM/SIGINT (stop accepting, tell clients, exit 0).
 */
import { loadConfig } from './config';
import { createServer } from './server';

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  console.error(`[host-server] ${(err as Error).message}`);
  process.exit(2);
}
const server = createServer(config);
server.listen().then(
  ({ port }) => {
    if (process.send) process.send({ type: 'listening', port });
  },
  (err: Error) => {
    server.log.fatal({ err: err.message }, 'could not listen');
    process.exit(1);
  },
);

process.on('uncaughtException', (err) => {
  server.log.fatal({ err: err.stack ?? err.message }, 'uncaught exception; exiting');
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  server.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'unhandled promise rejection');
});

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    server.log.info({ signal: sig }, 'signal received: graceful shutdown');
    const force = setTimeout(() => {
      server.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: Error) => {
        server.log.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
