import { defineConfig } from 'vite';

// The client lives in app/ (index.html there); the build goes to dist/, which host-server serves.
export default defineConfig({
  root: 'app',
  publicDir: false,
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
      '/api': 'http://localhost:4000',
      '/peerjs': { target: 'http://localhost:4000', ws: true },
      '/ws': { target: 'ws://localhost:4000', ws: true },
    },
  },
  optimizeDeps: {
    // fengari under the dev server: see docs/ARCHITECTURE.md (no global `process` polyfill).
    rolldownOptions: { transform: { define: { 'process.env.FENGARICONF': 'undefined' } } },
  },
});
