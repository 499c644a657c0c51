/**
 * A minimal RFC 6455 WebSocket client on `node:net`, for the load bench's bots: a real
 * WebSocket over a real TCP socket, with as little per-message work as possible, so the load
 * generator takes less of the cores it shares with the server under test.
 *
 * What it does: the HTTP/1.1 upgrade handshake (checks 101, `Upgrade`, `Connection` and
 * `Sec-WebSocket-Accept`; no extensions, no subprotocols), masked client frames (mask keys from
 * a crypto-random pool, as the RFC requires), any number of frames per TCP chunk and frames
 * split across chunks, fragmented messages (control frames may arrive between the fragments),
 * 7/16/64-bit lengths, ping -> pong, the close handshake (echoes the peer's code), and protocol
 * errors (masked or RSV-flagged server frames, bad opcodes, oversized or fragmented control
 * frames, stray continuations, invalid UTF-8 text, messages over `maxPayload`) fail the
 * connection with the RFC's close code.
 *
 * Cheap on purpose: reads go into one shared buffer (net `onread`), so a received message is a
 * view that is valid only during the onMessage call (copy it to keep it); only partial frames
 * are copied. Each send is one masked frame written with one `socket.write`.
 */
import net from 'node:net';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { isUtf8 } from 'node:buffer';

export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const enum Opcode {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xa,
}

/** A protocol violation by the peer; `code` is the close code to fail the connection with. */
export class WsProtocolError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------- mask keys

const MASK_POOL_SIZE = 8192;
let maskPool = Buffer.allocUnsafe(MASK_POOL_SIZE);
let maskPos = MASK_POOL_SIZE;

/** 4 fresh mask-key bytes from a crypto-random pool (refilled 8 KiB at a time). */
function nextMaskOffset(): number {
  if (maskPos + 4 > MASK_POOL_SIZE) {
    maskPool = randomFillSync(Buffer.allocUnsafe(MASK_POOL_SIZE));
    maskPos = 0;
  }
  const at = maskPos;
  maskPos += 4;
  return at;
}

// ---------------------------------------------------------------- encoder

/**
 * One complete client frame (FIN set unless `fin` is false), masked with `maskKey` (4 bytes;
 * default: from the random pool). The payload is copied, never modified.
 */
export function encodeFrame(opcode: number, payload: Uint8Array, opts: { fin?: boolean; maskKey?: Uint8Array } = {}): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = 2 + ext + 4;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = (opts.fin === false ? 0 : 0x80) | (opcode & 0x0f);
  if (ext === 0) out[1] = 0x80 | len;
  else if (ext === 2) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  let m0: number, m1: number, m2: number, m3: number;
  if (opts.maskKey) {
    if (opts.maskKey.length !== 4) throw new RangeError('maskKey must be 4 bytes');
    [m0, m1, m2, m3] = opts.maskKey;
  } else {
    const at = nextMaskOffset();
    m0 = maskPool[at];
    m1 = maskPool[at + 1];
    m2 = maskPool[at + 2];
    m3 = maskPool[at + 3];
  }
  const k = 2 + ext;
  out[k] = m0;
  out[k + 1] = m1;
  out[k + 2] = m2;
  out[k + 3] = m3;
  let i = 0;
  for (; i + 3 < len; i += 4) {
    out[head + i] = payload[i] ^ m0;
    out[head + i + 1] = payload[i + 1] ^ m1;
    out[head + i + 2] = payload[i + 2] ^ m2;
    out[head + i + 3] = payload[i + 3] ^ m3;
  }
  const mk = [m0, m1, m2, m3];
  for (; i < len; i++) out[head + i] = payload[i] ^ mk[i & 3];
  return out;
}

/** Payload of a close frame: the status code, then an optional UTF-8 reason (≤ 123 bytes). */
export function closePayload(code: number, reason = ''): Buffer {
  const r = Buffer.from(reason).subarray(0, 123);
  const out = Buffer.allocUnsafe(2 + r.length);
  out.writeUInt16BE(code, 0);
  r.copy(out, 2);
  return out;
}

// ---------------------------------------------------------------- receiver

export interface ReceiverHandlers {
  /** A complete message. `data` may be a view into a reused buffer: valid only during the call. */
  onMessage(data: Buffer, isBinary: boolean): void;
  /** A ping, pong or close frame (payload ≤ 125 bytes, same validity as above). */
  onControl(opcode: number, payload: Buffer): void;
}

function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/**
 * Incremental parser of server -> client frames. push() may be given any slicing of the byte
 * stream; it calls the handlers synchronously for every complete frame and keeps (copies) only
 * an incomplete tail. Throws WsProtocolError on a violation (the connection must then be failed).
 */
export class FrameReceiver {
  private tail: Buffer | null = null;
  private fragments: Buffer[] = [];
  private fragBytes = 0;
  private fragOpcode = -1;
  private closed = false;

  constructor(
    private readonly handlers: ReceiverHandlers,
    readonly maxPayload = 16 * 1024 * 1024,
  ) {}

  /** Bytes held back waiting for the rest of a frame or message. */
  get buffered(): number {
    return (this.tail?.length ?? 0) + this.fragBytes;
  }

  push(chunk: Buffer): void {
    if (this.closed) return; // nothing may follow a close frame
    let buf = chunk;
    if (this.tail) {
      buf = Buffer.concat([this.tail, chunk]);
      this.tail = null;
    }
    let pos = 0;
    const end = buf.length;
    while (pos < end) {
      if (end - pos < 2) break;
      const b0 = buf[pos];
      const b1 = buf[pos + 1];
      if (b0 & 0x70) throw new WsProtocolError('RSV bits set without a negotiated extension', 1002);
      if (b1 & 0x80) throw new WsProtocolError('a server frame must not be masked', 1002);
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (end - pos < 4) break;
        len = buf.readUInt16BE(pos + 2);
        head = 4;
      } else if (len === 127) {
        if (end - pos < 10) break;
        const hi = buf.readUInt32BE(pos + 2);
        if (hi > 0x1fffff) throw new WsProtocolError('frame length over 2^53', 1009);
        len = hi * 2 ** 32 + buf.readUInt32BE(pos + 6);
        head = 10;
      }
      if (opcode >= 0x8) {
        if (opcode > Opcode.Pong) throw new WsProtocolError(`reserved opcode 0x${opcode.toString(16)}`, 1002);
        if (!fin) throw new WsProtocolError('fragmented control frame', 1002);
        if (len > 125) throw new WsProtocolError('control frame payload over 125 bytes', 1002);
      } else if (opcode > Opcode.Binary) {
        throw new WsProtocolError(`reserved opcode 0x${opcode.toString(16)}`, 1002);
      }
      if (len + this.fragBytes > this.maxPayload) throw new WsProtocolError(`message over ${this.maxPayload} bytes`, 1009);
      if (end - pos < head + len) break;
      const payload = buf.subarray(pos + head, pos + head + len);
      pos += head + len;
      this.frame(fin, opcode, payload);
      if (this.closed) return;
    }
    if (pos < end) this.tail = Buffer.from(buf.subarray(pos)); // copy: buf may be a reused buffer
  }

  private frame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode >= 0x8) {
      if (opcode === Opcode.Close) {
        if (payload.length === 1) throw new WsProtocolError('close payload of 1 byte', 1002);
        if (payload.length >= 2) {
          if (!validCloseCode(payload.readUInt16BE(0))) throw new WsProtocolError(`invalid close code ${payload.readUInt16BE(0)}`, 1002);
          if (!isUtf8(payload.subarray(2))) throw new WsProtocolError('close reason is not UTF-8', 1007);
        }
        this.closed = true;
      }
      this.handlers.onControl(opcode, payload);
      return;
    }
    if (opcode === Opcode.Continuation) {
      if (this.fragOpcode < 0) throw new WsProtocolError('continuation frame without a message to continue', 1002);
      this.fragments.push(Buffer.from(payload)); // copy: payload may be a reused buffer
      this.fragBytes += payload.length;
      if (!fin) return;
      const data = Buffer.concat(this.fragments, this.fragBytes);
      const op = this.fragOpcode;
      this.fragments = [];
      this.fragBytes = 0;
      this.fragOpcode = -1;
      this.message(op, data);
      return;
    }
    if (this.fragOpcode >= 0) throw new WsProtocolError('new data frame inside a fragmented message', 1002);
    if (!fin) {
      this.fragOpcode = opcode;
      this.fragments.push(Buffer.from(payload));
      this.fragBytes = payload.length;
      return;
    }
    this.message(opcode, payload);
  }

  private message(opcode: number, data: Buffer): void {
    if (opcode === Opcode.Text && !isUtf8(data)) throw new WsProtocolError('text message is not valid UTF-8', 1007);
    this.handlers.onMessage(data, opcode === Opcode.Binary);
  }
}

// ---------------------------------------------------------------- client

export const enum ReadyState {
  Connecting = 0,
  Open = 1,
  Closing = 2,
  Closed = 3,
}

export interface RawWsOptions {
  host: string;
  port: number;
  /** Request target, e.g. `/ws?room=ABCD`. */
  path: string;
  maxPayload?: number;
  onOpen?: () => void;
  /** `data` is valid only during the call (a view into a shared read buffer): copy to keep. */
  onMessage?: (data: Buffer, isBinary: boolean) => void;
  onClose?: (code: number, reason: string) => void;
  onError?: (err: Error) => void;
  /** Called for every pong (after our ping) — for tests. */
  onPong?: (payload: Buffer) => void;
}

/** All raw clients read into this one buffer: reads are handled synchronously, one at a time. */
const SHARED_READ = Buffer.allocUnsafe(64 * 1024);
const MAX_HANDSHAKE_BYTES = 8192;

export class RawWsClient {
  readyState: number = ReadyState.Connecting;
  readonly socket: net.Socket;
  private readonly key = randomBytes(16).toString('base64');
  private handshake: Buffer | null = Buffer.alloc(0);
  private readonly receiver: FrameReceiver;
  private closeSent = false;
  private closeCode = 1006;
  private closeReason = '';
  private closeTimer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(private readonly opts: RawWsOptions) {
    this.receiver = new FrameReceiver(
      {
        onMessage: (data, isBinary) => {
          if (this.readyState === ReadyState.Open) opts.onMessage?.(data, isBinary);
        },
        onControl: (opcode, payload) => this.control(opcode, payload),
      },
      opts.maxPayload,
    );
    this.socket = net.connect({
      host: opts.host,
      port: opts.port,
      noDelay: true,
      onread: {
        buffer: SHARED_READ,
        callback: (n: number, buf: Uint8Array) => {
          this.data(Buffer.from(buf.buffer, buf.byteOffset, n));
          return true;
        },
      },
    });
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('error', (err) => {
      this.opts.onError?.(err);
    });
    this.socket.on('close', () => this.finish());
  }

  /** Send one message (string: text frame, bytes: binary frame). Dropped unless open. */
  send(data: Uint8Array | string): void {
    if (this.readyState !== ReadyState.Open) return;
    if (typeof data === 'string') this.socket.write(encodeFrame(Opcode.Text, Buffer.from(data)));
    else this.socket.write(encodeFrame(Opcode.Binary, data));
  }

  ping(payload: Uint8Array = Buffer.alloc(0)): void {
    if (this.readyState !== ReadyState.Open) return;
    if (payload.length > 125) throw new RangeError('ping payload over 125 bytes');
    this.socket.write(encodeFrame(Opcode.Ping, payload));
  }

  /** Start the close handshake; the socket is destroyed if the peer does not finish it in 2 s. */
  close(code = 1000, reason = ''): void {
    if (this.readyState === ReadyState.Connecting) {
      this.fail(1006, 'closed before open');
      return;
    }
    if (this.readyState !== ReadyState.Open) return;
    this.readyState = ReadyState.Closing;
    this.sendClose(code, reason);
    this.closeTimer = setTimeout(() => this.socket.destroy(), 2000);
    this.closeTimer.unref();
  }

  /** Drop the TCP connection at once. */
  terminate(): void {
    this.socket.destroy();
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  private sendClose(code: number, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    if (!this.socket.writable) return;
    this.socket.write(encodeFrame(Opcode.Close, code === 1005 ? Buffer.alloc(0) : closePayload(code, reason)));
  }

  private data(chunk: Buffer): void {
    if (this.handshake) {
      const all = this.handshake.length ? Buffer.concat([this.handshake, chunk]) : chunk;
      const endAt = all.indexOf('\r\n\r\n');
      if (endAt < 0) {
        if (all.length > MAX_HANDSHAKE_BYTES) this.fail(1002, 'handshake response too long');
        else this.handshake = Buffer.from(all); // copy: chunk is the shared buffer
        return;
      }
      this.handshake = null;
      const err = this.checkHandshake(all.subarray(0, endAt).toString('latin1'));
      if (err) {
        this.fail(1002, err);
        return;
      }
      this.readyState = ReadyState.Open;
      this.opts.onOpen?.();
      chunk = all.subarray(endAt + 4);
      if (!chunk.length) return;
    }
    if (this.ended) return;
    try {
      this.receiver.push(chunk);
    } catch (e) {
      if (e instanceof WsProtocolError) this.fail(e.code, e.message);
      else throw e;
    }
  }

  private checkHandshake(head: string): string | null {
    const lines = head.split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '');
    if (!status) return `bad status line: ${lines[0]?.slice(0, 80)}`;
    if (status[1] !== '101') return `unexpected response ${lines[0].slice(0, 80)}`;
    const h = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const c = line.indexOf(':');
      if (c > 0) h.set(line.slice(0, c).trim().toLowerCase(), line.slice(c + 1).trim());
    }
    if (h.get('upgrade')?.toLowerCase() !== 'websocket') return 'missing "Upgrade: websocket"';
    if (!/(^|,)\s*upgrade\s*(,|$)/i.test(h.get('connection') ?? '')) return 'missing "Connection: Upgrade"';
    const accept = createHash('sha1').update(this.key + WS_GUID).digest('base64');
    if (h.get('sec-websocket-accept') !== accept) return 'bad Sec-WebSocket-Accept';
    if (h.has('sec-websocket-extensions')) return 'server chose an extension that was not offered';
    if (h.has('sec-websocket-protocol')) return 'server chose a subprotocol that was not offered';
    return null;
  }

  private control(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.Ping) {
      if (this.readyState === ReadyState.Open) this.socket.write(encodeFrame(Opcode.Pong, payload));
    } else if (opcode === Opcode.Pong) {
      this.opts.onPong?.(payload);
    } else if (opcode === Opcode.Close) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.closeReason = payload.length > 2 ? payload.subarray(2).toString('utf8') : '';
      this.readyState = ReadyState.Closing;
      this.sendClose(this.closeCode, ''); // echo the code (1005: an empty close)
      this.ended = true;
      this.socket.end(); // the server closes TCP first; end() is our half
      if (!this.closeTimer) {
        this.closeTimer = setTimeout(() => this.socket.destroy(), 2000);
        this.closeTimer.unref();
      }
    }
  }

  /** Fail the connection: send a close with `code` (if open) and drop the socket. */
  private fail(code: number, message: string): void {
    this.opts.onError?.(new WsProtocolError(message, code));
    if (this.readyState === ReadyState.Open) this.sendClose(code, '');
    this.closeCode = code === 1002 || code === 1007 || code === 1009 ? code : 1006;
    this.closeReason = message;
    this.readyState = ReadyState.Closing;
    this.ended = true;
    this.socket.end(); // flushes our close frame; the peer's FIN (or the timer) ends the socket
    if (!this.closeTimer) {
      this.closeTimer = setTimeout(() => this.socket.destroy(), 1000);
      this.closeTimer.unref();
    }
  }

  private finish(): void {
    if (this.readyState === ReadyState.Closed) return;
    this.readyState = ReadyState.Closed;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.opts.onClose?.(this.closeCode, this.closeReason);
  }
}
