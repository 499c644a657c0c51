import { defineConfig } from '@playwright/test';

/**
 * Multi-browser end-to-end suite. Every player is a separate Chromium process (see
 * tests/e2e/harness.ts). The server is started from source; it serves the client from dist/,
 * which must be built first (`npx vite build`; scripts/test.sh does it). Run WebRTC tests in a
 * loopback-only network namespace:
 *   unshare -n sh -c 'ip link set lo up && exec "$@"' sh npx playwright test
 */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 4311);

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: { baseURL: `http://127.0.0.1:${E2E_PORT}` },
  webServer: {
    command: 'node --import tsx host-server/main.ts',
    url: `http://127.0.0.1:${E2E_PORT}/healthz`,
    // MAX_PLAYERS=4: game.spec's room (host + 3) is then full, and a fifth player is refused.
    env: { PORT: String(E2E_PORT), LOG_LEVEL: 'warn', HOST: '127.0.0.1', MAX_PLAYERS: '4' },
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
