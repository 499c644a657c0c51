/**
 * Bundle size of the built client (dist/): JS + WASM, gzip level 9, fonts excluded (there are
 * none). `all` counts every file Vite emitted, including lazy chunks a player never loads (e.g.
 * Pixi's WebGPU and Canvas renderers); `loaded` counts the files a host's page actually
 * fetched (from the page's resource timing), sized from dist/.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export interface SizeSet {
  files: number;
  jsGzip: number;
  wasmGzip: number;
  totalGzip: number;
  jsRaw: number;
  wasmRaw: number;
}

export interface BundleSize {
  all: SizeSet;
  loaded: SizeSet | null;
  perFile: Record<string, number>;
}

export function measureBundle(loadedUrls: string[] | null = null, dist = path.resolve('dist')): BundleSize {
  const assets = path.join(dist, 'assets');
  if (!fs.existsSync(assets)) throw new Error(`${assets} missing: run \`npx vite build\` first`);
  const empty = (): SizeSet => ({ files: 0, jsGzip: 0, wasmGzip: 0, totalGzip: 0, jsRaw: 0, wasmRaw: 0 });
  const all = empty();
  const loaded = loadedUrls ? empty() : null;
  const loadedNames = new Set((loadedUrls ?? []).map((u) => path.basename(new URL(u, 'http://x/').pathname)));
  const perFile: Record<string, number> = {};
  for (const f of fs.readdirSync(assets).sort()) {
    const isJs = f.endsWith('.js');
    const isWasm = f.endsWith('.wasm');
    if (!isJs && !isWasm) continue;
    const buf = fs.readFileSync(path.join(assets, f));
    const gz = zlib.gzipSync(buf, { level: 9 }).byteLength;
    perFile[f] = gz;
    for (const set of loaded && loadedNames.has(f) ? [all, loaded] : [all]) {
      set.files++;
      if (isJs) {
        set.jsRaw += buf.byteLength;
        set.jsGzip += gz;
      } else {
        set.wasmRaw += buf.byteLength;
        set.wasmGzip += gz;
      }
      set.totalGzip += gz;
    }
  }
  if (all.wasmRaw === 0) throw new Error('no .wasm in dist/assets: the engine is not part of the build');
  return { all, loaded, perFile };
}
