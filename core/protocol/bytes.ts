/**
 * Minimal byte writer/reader for the binary protocol: unsigned LEB128 varints, zigzag signed
 * varints, u8/i8 and short UTF-8 strings. The reader never throws past its own boundary:
 * callers catch BinaryError and turn it into a decode error.
 */

export class BinaryError extends Error {}

/** Varints are limited to 7 bytes (49 bits): comfortably inside Number.MAX_SAFE_INTEGER. */
const MAX_VARINT_BYTES = 7;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  i8(v: number): this {
    return this.u8(v < 0 ? v + 256 : v);
  }

  /** Unsigned varint (LEB128). v must be a non-negative safe integer < 2^49. */
  uvar(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** 49) throw new BinaryError(`uvar out of range: ${v}`);
    this.ensure(MAX_VARINT_BYTES);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** Signed varint: zigzag (0,-1,1,-2,2,... -> 0,1,2,3,4,...) then LEB128. */
  svar(v: number): this {
    if (!Number.isInteger(v)) throw new BinaryError(`svar not an integer: ${v}`);
    return this.uvar(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Short string: uvar byte length + UTF-8 bytes. */
  str(s: string): this {
    const b = textEncoder.encode(s);
    this.uvar(b.length);
    this.bytes(b);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A copy of the written bytes. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Bytes the unsigned varint of v takes (v: a non-negative safe integer < 2^49). */
export function uvarLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Writes the unsigned varint of v at buf[pos] (room must be there); returns the end position. */
export function writeUvarAt(buf: Uint8Array, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[pos++] = v;
  return pos;
}

export class ByteReader {
  pos = 0;
  constructor(private readonly buf: Uint8Array, start = 0) {
    this.pos = start;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  u8(): number {
    if (this.pos >= this.buf.length) throw new BinaryError('unexpected end of frame');
    return this.buf[this.pos++];
  }

  i8(): number {
    const v = this.u8();
    return v >= 128 ? v - 256 : v;
  }

  uvar(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 0x80;
    }
    throw new BinaryError('varint too long');
  }

  svar(): number {
    const z = this.uvar();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  str(maxBytes = 256): string {
    const n = this.uvar();
    if (n > maxBytes) throw new BinaryError(`string too long (${n} > ${maxBytes})`);
    if (n > this.remaining) throw new BinaryError('unexpected end of frame');
    const s = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    try {
      return textDecoder.decode(s);
    } catch {
      throw new BinaryError('invalid UTF-8');
    }
  }

  bytes(n: number): Uint8Array {
    if (n > this.remaining) throw new BinaryError('unexpected end of frame');
    const s = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }
}

export function utf8Length(s: string): number {
  // Fast path: ASCII-only strings are byte == char.
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // a surrogate pair
      i++;
    } else n += 3; // BMP, or a lone surrogate (encoded as U+FFFD)
  }
  return n;
}

export function utf8Encode(s: string): Uint8Array {
  return textEncoder.encode(s);
}

export function utf8Decode(b: Uint8Array): string {
  return textDecoder.decode(b);
}
