/** Bundle size of the built client (dist/): JS + WASM, gzip level 9, fonts excluded. */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

export interface BundleSize {
  jsFiles: number;
  jsRaw: number;
  jsGzip: number;
  wasmRaw: number;
  wasmGzip: number;
  totalGzip: number;
}

export function measureBundle(dist = path.resolve('dist')): BundleSize {
  const assets = path.join(dist, 'assets');
  if (!fs.existsSync(assets)) throw new Error(`${assets} missing: run \`npx vite build\` first`);
  const out: BundleSize = { jsFiles: 0, jsRaw: 0, jsGzip: 0, wasmRaw: 0, wasmGzip: 0, totalGzip: 0 };
  for (const f of fs.readdirSync(assets)) {
    const buf = fs.readFileSync(path.join(assets, f));
    const gz = zlib.gzipSync(buf, { level: 9 }).byteLength;
    if (f.endsWith('.js')) {
      out.jsFiles++;
      out.jsRaw += buf.byteLength;
      out.jsGzip += gz;
    } else if (f.endsWith('.wasm')) {
      out.wasmRaw += buf.byteLength;
      out.wasmGzip += gz;
    }
  }
  if (out.wasmRaw === 0) throw new Error('no .wasm in dist/assets: the engine is not part of the build');
  out.totalGzip = out.jsGzip + out.wasmGzip;
  return out;
}
