/** JSON with object keys sorted at every level: equal values give equal bytes. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('non-finite number in state');
    return JSON.stringify(v) ?? 'null';
  }
  if (Array.isArray(v)) return '[' + v.map((x) => stableStringify(x === undefined ? null : x)).join(',') + ']';
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + stableStringify(o[k])).join(',') + '}';
}

/** A JSON-safe, size-bounded copy of an untrusted action payload (throws on bad input). */
export function sanitizePlain(v: unknown, depth = 0): unknown {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('action: numbers must be finite');
    return Object.is(v, -0) ? 0 : v;
  }
  if (typeof v === 'string') {
    if (v.length > 256) throw new Error('action: strings are limited to 256 characters');
    return v;
  }
  if (typeof v !== 'object' || depth >= 3) throw new Error('action: unsupported or too deeply nested value');
  if (Array.isArray(v)) {
    if (v.length > 32) throw new Error('action: arrays are limited to 32 items');
    return v.map((x) => sanitizePlain(x, depth + 1));
  }
  const keys = Object.keys(v as object);
  if (keys.length > 32) throw new Error('action: objects are limited to 32 keys');
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) continue;
    if (k.length > 64) throw new Error('action: key too long');
    out[k] = sanitizePlain(x, depth + 1);
  }
  return out;
}
