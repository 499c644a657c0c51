import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * Dev only: editing lua_scripts/*.lua sends the new source to the page (custom HMR event
 * `lua:update`) instead of reloading it; the host's page forwards it to its simulation worker,
 * which hot-reloads the rules of the running room (Simulation.loadScript).
 */
function luaHotReload(): Plugin {
  const dir = path.resolve(here, 'lua_scripts');
  return {
    name: 'lua-hot-reload',
    apply: 'serve',
    handleHotUpdate({ file, server }) {
      if (!file.startsWith(dir + path.sep) || !file.endsWith('.lua')) return;
      const code = fs.readFileSync(file, 'utf8');
      server.ws.send({ type: 'custom', event: 'lua:update', data: { name: path.basename(file), code } });
      return [];
    },
  };
}

/**
 * Pixi's environment extensions (browserAll: interaction events, accessibility, DOM overlays,
 * filters) are loaded only when a renderer is initialized with manageImports on. The app's
 * renderer turns it off (app/render/renderer.ts) and uses none of them, so the lazy chunk
 * would be dead weight in dist/: resolve it to an empty module.
 */
function pixiWithoutEnvironmentExtras(): Plugin {
  const EMPTY = '\0pixi-env-empty';
  return {
    name: 'pixi-without-environment-extras',
    enforce: 'pre',
    resolveId(source, importer) {
      if (importer && /pixi\.js[\\/]lib[\\/]environment-(browser|webworker)[\\/]/.test(importer) && /^\.\/(browserAll|webworkerAll)\.mjs$/.test(source)) return EMPTY;
      return null;
    },
    load(id) {
      return id === EMPTY ? 'export {};' : null;
    },
  };
}

// The client lives in app/ (index.html there); the build goes to dist/, which host-server serves.
const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: 'app',
  publicDir: false,
  plugins: [luaHotReload(), pixiWithoutEnvironmentExtras()],
  resolve: {
    // Node-only dependencies of fengari (used only when `process` exists): keep them out.
    alias: [
      { find: /^readline-sync$/, replacement: path.join(here, 'app/shims/node-only.ts') },
      { find: /^tmp$/, replacement: path.join(here, 'app/shims/node-only.ts') },
      // peerjs reads only browserDetails from webrtc-adapter; its legacy shims are dead weight.
      { find: /^webrtc-adapter$/, replacement: path.join(here, 'app/shims/webrtc-adapter.ts') },
    ],
  },
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0, // keep the .wasm a separate, cacheable asset
  },
  worker: { format: 'es' },
  server: {
    port: 5173,
    fs: { allow: ['..'] },
    proxy: {
      // Regex keys: a bare '/api' prefix would also swallow the module /api.ts.
      '^/api/': 'http://localhost:4000',
      '^/peerjs(/|$)': { target: 'http://localhost:4000', ws: true },
      '^/ws(\\?|$)': { target: 'ws://localhost:4000', ws: true },
    },
  },
  optimizeDeps: {
    // The worker's deps are found late (after the page loads), which makes Vite re-optimize and
    // reload the page once; list them so the first dev load is the last.
    include: ['fengari', 'fengari/src/ldebug.js', 'fengari/src/lobject.js', 'pixi.js', 'pixi.js/unsafe-eval', 'peerjs', 'qrcode', 'uplot', 'zod'],
    // fengari under the dev server: see docs/ARCHITECTURE.md (no global `process` polyfill).
    rolldownOptions: { transform: { define: { 'process.env.FENGARICONF': 'undefined' } } },
  },
});
