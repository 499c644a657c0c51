/**
 * Deterministic binary codec for the rules' `state` table (a Lua value tree).
 *
 * Keys are written in the table's own iteration order. fengari tables iterate in insertion
 * order (a linked list over a JS Map), and restore re-inserts in that same order, so `pairs`
 * over a restored table visits keys exactly like the original did: a room restored on another
 * machine keeps behaving identically. (Sorting keys would lose that order and make a restored
 * room diverge from the original at the first `pairs` loop.) The bytes depend only on the
 * table's contents and history, never on time or addresses.
 *
 * Supported: nil-free trees of booleans, numbers (integer/float kept apart), strings and
 * tables; keys must be booleans, numbers or strings. Functions, userdata, cycles and overly
 * deep trees are skipped and reported (the rest of the state is still saved).
 */
import { lua, to_jsstring } from './fengari';

const TAG_END = 0;
const TAG_FALSE = 1;
const TAG_TRUE = 2;
const TAG_INT = 3;
const TAG_FLOAT = 4;
const TAG_STRING = 5;
const TAG_TABLE = 6;

const MAX_DEPTH = 48;

/** Fixed-width little-endian writer for this codec only (the wire protocol uses core/protocol/bytes). */
class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.length));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

class ByteReader {
  private view: DataView;
  pos = 0;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('state blob truncated');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
}

type L = unknown;

function typeName(L: L, t: number): string {
  return to_jsstring(lua.lua_typename(L, t));
}

function keyLabel(L: L, idx: number): string {
  const t = lua.lua_type(L, idx);
  if (t === lua.LUA_TSTRING) return String(lua.lua_tojsstring(L, idx));
  if (t === lua.LUA_TBOOLEAN) return lua.lua_toboolean(L, idx) ? 'true' : 'false';
  if (t === lua.LUA_TNUMBER) return String(lua.lua_tonumber(L, idx));
  return `<${typeName(L, t)}>`;
}

/** Writes the value at stack index `idx` (absolute). Returns false if it was skipped. */
function writeValue(
  L: L,
  idx: number,
  w: ByteWriter,
  path: string,
  depth: number,
  visiting: Set<unknown>,
  problems: string[],
): boolean {
  switch (lua.lua_type(L, idx)) {
    case lua.LUA_TBOOLEAN:
      w.u8(lua.lua_toboolean(L, idx) ? TAG_TRUE : TAG_FALSE);
      return true;
    case lua.LUA_TNUMBER:
      if (lua.lua_isinteger(L, idx)) {
        w.u8(TAG_INT);
        w.f64(lua.lua_tointeger(L, idx));
      } else {
        w.u8(TAG_FLOAT);
        w.f64(lua.lua_tonumber(L, idx));
      }
      return true;
    case lua.LUA_TSTRING: {
      const s: Uint8Array = lua.lua_tolstring(L, idx);
      w.u8(TAG_STRING);
      w.u32(s.length);
      w.bytes(s);
      return true;
    }
    case lua.LUA_TTABLE: {
      const ptr = lua.lua_topointer(L, idx);
      if (visiting.has(ptr)) {
        problems.push(`${path}: cycle (not saved)`);
        return false;
      }
      if (depth >= MAX_DEPTH) {
        problems.push(`${path}: nested too deep (not saved)`);
        return false;
      }
      visiting.add(ptr);
      if (!lua.lua_checkstack(L, 4)) throw new Error('Lua stack exhausted while saving state');
      w.u8(TAG_TABLE);
      lua.lua_pushnil(L);
      while (lua.lua_next(L, idx) !== 0) {
        const top = lua.lua_gettop(L);
        const kt = lua.lua_type(L, top - 1);
        const vt = lua.lua_type(L, top);
        const sub = `${path}.${keyLabel(L, top - 1)}`;
        if (kt !== lua.LUA_TBOOLEAN && kt !== lua.LUA_TNUMBER && kt !== lua.LUA_TSTRING) {
          problems.push(`${sub}: key of type ${typeName(L, kt)} (not saved)`);
        } else if (vt !== lua.LUA_TBOOLEAN && vt !== lua.LUA_TNUMBER && vt !== lua.LUA_TSTRING && vt !== lua.LUA_TTABLE) {
          problems.push(`${sub}: value of type ${typeName(L, vt)} (not saved)`);
        } else {
          // Write key then value; a skipped nested value must not leave a dangling key.
          const mark = w.length;
          writeValue(L, top - 1, w, sub, depth + 1, visiting, problems);
          if (!writeValue(L, top, w, sub, depth + 1, visiting, problems)) w.length = mark;
        }
        lua.lua_pop(L, 1);
      }
      w.u8(TAG_END);
      visiting.delete(ptr);
      return true;
    }
    default:
      problems.push(`${path}: value of type ${typeName(L, lua.lua_type(L, idx))} (not saved)`);
      return false;
  }
}

/** Serializes the table on top of the stack (left in place). */
export function encodeTopTable(L: L, problems: string[]): Uint8Array {
  const w = new ByteWriter();
  const idx = lua.lua_gettop(L);
  if (lua.lua_type(L, idx) !== lua.LUA_TTABLE) throw new Error('state is not a table');
  writeValue(L, idx, w, 'state', 0, new Set(), problems);
  return w.finish();
}

function readValue(L: L, r: ByteReader, tag: number, depth: number): void {
  switch (tag) {
    case TAG_FALSE:
      lua.lua_pushboolean(L, false);
      return;
    case TAG_TRUE:
      lua.lua_pushboolean(L, true);
      return;
    case TAG_INT:
      lua.lua_pushinteger(L, r.f64());
      return;
    case TAG_FLOAT:
      lua.lua_pushnumber(L, r.f64());
      return;
    case TAG_STRING: {
      const n = r.u32();
      lua.lua_pushstring(L, r.bytes(n).slice());
      return;
    }
    case TAG_TABLE: {
      if (depth > MAX_DEPTH + 1) throw new Error('state blob nested too deep');
      lua.lua_createtable(L, 0, 0);
      const t = lua.lua_gettop(L);
      for (;;) {
        const kt = r.u8();
        if (kt === TAG_END) break;
        if (kt === TAG_TABLE) throw new Error('state blob: table used as a key');
        readValue(L, r, kt, depth + 1);
        readValue(L, r, r.u8(), depth + 1);
        lua.lua_rawset(L, t);
      }
      return;
    }
    default:
      throw new Error(`state blob: bad tag ${tag}`);
  }
}

/** Pushes the table decoded from `bytes`. Throws (stack unchanged) on malformed input. */
export function decodeToTable(L: L, bytes: Uint8Array): void {
  const top = lua.lua_gettop(L);
  try {
    const r = new ByteReader(bytes);
    const tag = r.u8();
    if (tag !== TAG_TABLE) throw new Error('state blob: root is not a table');
    readValue(L, r, tag, 0);
    if (!r.done) throw new Error('state blob: trailing bytes');
  } catch (e) {
    lua.lua_settop(L, top);
    throw e;
  }
}
