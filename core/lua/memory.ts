/**
 * How much memory Lua values hold, approximately: a walk over fengari's objects (fengari 0.1.5
 * internals: Table.strong entries and metatable, LClosure.upvals, CClosure.upvalue, TString
 * bytes) with an explicit work list (any depth, any cycles) and an early stop at a limit, so
 * its cost is bounded by the limit whatever a script built. fengari has no allocator hook; this
 * is how the sandbox bounds what rules and mods keep from one tick to the next (sandbox.ts
 * memoryReport, simulation.ts).
 *
 * Sizes are estimates of the JS objects behind each Lua value (the same on every runtime, so
 * checks stay deterministic): a table 64 B + 48 B per entry, a string 32 B + its bytes, a
 * closure 48 B + 16 B per upvalue, anything else 16 B.
 */
import { lua } from './fengari';

const T_STRING = lua.LUA_TSTRING;
const T_TABLE = lua.LUA_TTABLE;
const T_FUNCTION = lua.LUA_TFUNCTION;
const T_USERDATA = lua.LUA_TUSERDATA;

interface TValueLike {
  type: number;
  value: unknown;
}
interface TableLike {
  strong: Map<unknown, { key: TValueLike; value: TValueLike }>;
  metatable: TableLike | null;
}

export class LuaHeapWalker {
  /** Objects already counted (shared between walks, so a shared value counts once). */
  readonly seen = new Set<unknown>();
  private work: unknown[] = [];
  private bytes = 0;

  /** Marks objects that must not be counted (nor walked into), e.g. the shared environment. */
  exclude(obj: unknown): void {
    if (obj) this.seen.add(obj);
  }

  /**
   * Bytes reachable from `root` (a fengari Table, closure or TValue) not counted before, up to
   * `limit` (the walk stops once over it and returns a value > limit).
   */
  measure(root: unknown, limit: number): number {
    this.bytes = 0;
    this.work.length = 0;
    const tv = root as TValueLike;
    if (root && typeof tv.type === 'number' && 'value' in tv) this.value(tv); // a Lua value
    else this.push(root); // an object: Table, closure, ...
    const work = this.work;
    while (work.length && this.bytes <= limit) {
      const o = work.pop() as Record<string, unknown>;
      const t = o as unknown as TableLike;
      if (t.strong instanceof Map) {
        this.bytes += 64 + 48 * t.strong.size;
        let n = 0;
        for (const e of t.strong.values()) {
          this.value(e.key);
          this.value(e.value);
          if ((++n & 255) === 0 && this.bytes > limit) break; // a huge table: stop early
        }
        if (t.metatable) this.push(t.metatable);
        continue;
      }
      const upvals = (o.upvals ?? o.upvalue) as (TValueLike | undefined)[] | undefined;
      if (Array.isArray(upvals)) {
        this.bytes += 48 + 16 * upvals.length;
        for (const uv of upvals) if (uv) this.value(uv);
        continue;
      }
      this.bytes += 16;
    }
    return this.bytes;
  }

  private push(o: unknown): void {
    if (o === null || o === undefined || this.seen.has(o)) return;
    this.seen.add(o);
    this.work.push(o);
  }

  private value(tv: TValueLike): void {
    const base = tv.type & 0x0f;
    if (base === T_STRING) {
      const ts = tv.value as { realstring?: Uint8Array } | null;
      if (ts && !this.seen.has(ts)) {
        this.seen.add(ts);
        this.bytes += 32 + (ts.realstring ? ts.realstring.length : 0);
      }
    } else if (base === T_TABLE || base === T_FUNCTION || base === T_USERDATA) {
      if (typeof tv.value === 'object') this.push(tv.value);
    }
  }
}
