/**
 * Many Connections over one message port (a worker_threads Worker/MessagePort or a Web Worker),
 * batched: frames, opens and closes queue up and leave as ONE postMessage per flush, with every
 * binary frame packed into one transferred ArrayBuffer (no per-frame structured clone). The
 * server uses it to run rooms in worker threads while the sockets stay on the main thread:
 * `bridge(conn)` on the socket side, `onOpen` on the room side, where each bridged connection
 * appears as a MuxConnection (a Connection like any other transport).
 *
 * A batch is `{ t: 'mux', ops, bin, strs }`; `ops` holds 4 int32 per operation:
 *   OPEN  id, strs[a] = meta, strs[b] = transport kind
 *   BIN   id, bin[a .. a+(b & LEN_MASK)), b & UNRELIABLE = channel
 *   TEXT  id, strs[a] = frame, b = 1 if unreliable
 *   CLOSE id, strs[a] = reason, b = close code (0 = none)
 *   BUF   id, a = the socket's bufferedAmount (slow-consumer detection on the room side)
 * Operations apply in order, so a connection's frames always follow its OPEN.
 */
import { BaseConnection } from './base';
import type { Connection, Frame, TransportKind } from './transport';

export interface MuxPort {
  postMessage(msg: unknown, transfer?: ArrayBuffer[]): void;
}

export interface MuxBatch {
  t: 'mux';
  ops: Int32Array;
  bin: ArrayBuffer;
  strs: string[];
}

const OPEN = 1;
const BIN = 2;
const TEXT = 3;
const CLOSE = 4;
const BUF = 5;
const UNRELIABLE = 1 << 30;
const LEN_MASK = UNRELIABLE - 1;
const INITIAL_BIN = 16 * 1024;

export function isMuxBatch(m: unknown): m is MuxBatch {
  return typeof m === 'object' && m !== null && (m as MuxBatch).t === 'mux' && (m as MuxBatch).ops instanceof Int32Array;
}

const defaultSchedule = (fn: () => void): void => {
  if (typeof setImmediate === 'function') setImmediate(fn);
  else setTimeout(fn, 0);
};

/** The room side of a bridged connection. */
export class MuxConnection extends BaseConnection {
  /** Last bufferedAmount reported by the socket side. */
  remoteBuffered = 0;

  constructor(
    private readonly mux: MuxEndpoint,
    readonly num: number,
    readonly id: string,
    readonly kind: TransportKind,
  ) {
    super();
  }

  get bufferedAmount(): number {
    return this.remoteBuffered;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(frame: Frame, channel?: 'reliable' | 'unreliable'): void {
    if (this.closed) return;
    this.bytesOut += typeof frame === 'string' ? frame.length : frame.byteLength;
    this.mux.enqueueFrame(this.num, frame, channel === 'unreliable');
  }

  close(code = 1000, reason = 'closed'): void {
    if (this.closed) return;
    this.mux.enqueueClose(this.num, reason, code);
    this.mux.forget(this.num);
    this.fireClose(reason);
  }

  /** @internal frames and closes coming from the socket side */
  _deliver(f: Frame): void {
    if (!this.closed) this.deliver(f);
  }

  _remoteClosed(reason: string): void {
    this.fireClose(reason);
  }
}

interface Bridged {
  conn: Connection;
  lastBuffered: number;
}

export class MuxEndpoint {
  private ops: number[] = [];
  private strs: string[] = [];
  /** Index of each string in this batch's strs (a roster sent to 20 players travels once). */
  private strIndex = new Map<string, number>();
  private bin = new Uint8Array(INITIAL_BIN);
  private binUsed = 0;
  private scheduled = false;
  private nextNum = 1;
  /** Socket side: local connections carried to the other side. */
  private bridged = new Map<number, Bridged>();
  /** Room side: connections opened by the other side. */
  private virtual = new Map<number, MuxConnection>();
  private openCbs: ((conn: MuxConnection, meta: string) => void)[] = [];
  /** Counters (tests, metrics). */
  readonly stats = { batchesOut: 0, opsOut: 0, batchesIn: 0, opsIn: 0 };

  constructor(
    private readonly port: MuxPort,
    private readonly schedule: (fn: () => void) => void = defaultSchedule,
    private readonly prefix = 'mux',
  ) {}

  /** Connections currently open through this endpoint (both roles). */
  get size(): number {
    return this.bridged.size + this.virtual.size;
  }

  /**
   * Carry `conn` to the other side, which sees it (with `meta`, e.g. the room code) through
   * onOpen. Frames flow both ways; a close on either side closes the other.
   */
  bridge(conn: Connection, meta: string): number {
    const num = this.nextNum++;
    const b: Bridged = { conn, lastBuffered: 0 };
    this.bridged.set(num, b);
    this.push(OPEN, num, this.str(meta), this.str(conn.kind));
    conn.onMessage((f) => {
      if (this.bridged.get(num) === b) this.enqueueFrame(num, f, false);
    });
    conn.onClose((reason) => {
      if (this.bridged.get(num) !== b) return; // closed from the other side
      this.bridged.delete(num);
      this.enqueueClose(num, reason, 0);
    });
    return num;
  }

  onOpen(cb: (conn: MuxConnection, meta: string) => void): void {
    this.openCbs.push(cb);
  }

  /** Report bridged sockets' bufferedAmount when it changed (call periodically). */
  reportBuffered(): void {
    for (const [num, b] of this.bridged) {
      const n = Math.min(b.conn.bufferedAmount | 0, 0x7fffffff);
      if (n !== b.lastBuffered) {
        b.lastBuffered = n;
        this.push(BUF, num, n, 0);
      }
    }
  }

  /** Apply a batch from the other side. */
  receive(batch: MuxBatch): void {
    const { ops, strs } = batch;
    const bin = new Uint8Array(batch.bin);
    this.stats.batchesIn++;
    this.stats.opsIn += ops.length >> 2;
    for (let i = 0; i < ops.length; i += 4) {
      const op = ops[i];
      const num = ops[i + 1];
      const a = ops[i + 2];
      const b = ops[i + 3];
      switch (op) {
        case OPEN: {
          const conn = new MuxConnection(this, num, `${this.prefix}-${num}`, strs[b] as TransportKind);
          this.virtual.set(num, conn);
          for (const cb of this.openCbs) cb(conn, strs[a]);
          break;
        }
        case BIN:
        case TEXT: {
          const frame: Frame = op === BIN ? bin.subarray(a, a + (b & LEN_MASK)) : strs[a];
          const unreliable = op === BIN ? (b & UNRELIABLE) !== 0 : b === 1;
          const v = this.virtual.get(num);
          if (v) v._deliver(frame);
          else {
            const br = this.bridged.get(num);
            if (br) br.conn.send(frame, unreliable ? 'unreliable' : undefined);
          }
          break;
        }
        case CLOSE: {
          const v = this.virtual.get(num);
          if (v) {
            this.virtual.delete(num);
            v._remoteClosed(strs[a]);
          } else {
            const br = this.bridged.get(num);
            if (br) {
              this.bridged.delete(num);
              br.conn.close(b || 1000, strs[a]);
            }
          }
          break;
        }
        case BUF: {
          const v = this.virtual.get(num);
          if (v) v.remoteBuffered = a;
          break;
        }
        default:
          throw new Error(`mux: unknown op ${op}`);
      }
    }
  }

  /** Close every connection of this endpoint locally (the other side is gone). */
  closeAll(reason: string, code = 1011): void {
    const virtual = [...this.virtual.values()];
    const bridged = [...this.bridged.values()];
    this.virtual.clear();
    this.bridged.clear();
    for (const v of virtual) v._remoteClosed(reason);
    for (const b of bridged) b.conn.close(code, reason);
    this.ops = [];
    this.strs = [];
    this.strIndex.clear();
    this.binUsed = 0;
  }

  /** Send everything queued now, as one message. */
  flush(): void {
    this.scheduled = false;
    if (this.ops.length === 0) return;
    const ops = Int32Array.from(this.ops);
    const bin = this.bin.buffer as ArrayBuffer;
    const batch: MuxBatch = { t: 'mux', ops, bin, strs: this.strs };
    this.stats.batchesOut++;
    this.stats.opsOut += this.ops.length >> 2;
    this.ops = [];
    this.strs = [];
    this.strIndex.clear();
    this.bin = new Uint8Array(Math.max(INITIAL_BIN, this.binUsed));
    this.binUsed = 0;
    this.port.postMessage(batch, [ops.buffer as ArrayBuffer, bin]);
  }

  /** @internal */
  enqueueFrame(num: number, frame: Frame, unreliable: boolean): void {
    if (typeof frame === 'string') {
      this.push(TEXT, num, this.str(frame), unreliable ? 1 : 0);
      return;
    }
    const n = frame.byteLength;
    if (n > LEN_MASK) throw new Error(`mux: frame of ${n} bytes is too large`);
    if (this.binUsed + n > this.bin.byteLength) {
      const grown = new Uint8Array(Math.max(this.bin.byteLength * 2, this.binUsed + n));
      grown.set(this.bin.subarray(0, this.binUsed));
      this.bin = grown;
    }
    this.bin.set(frame, this.binUsed);
    this.push(BIN, num, this.binUsed, n | (unreliable ? UNRELIABLE : 0));
    this.binUsed += n;
  }

  /** @internal */
  enqueueClose(num: number, reason: string, code: number): void {
    this.push(CLOSE, num, this.str(reason), code);
  }

  /** @internal a virtual connection closed locally */
  forget(num: number): void {
    this.virtual.delete(num);
  }

  private str(s: string): number {
    let i = this.strIndex.get(s);
    if (i === undefined) {
      i = this.strs.push(s) - 1;
      this.strIndex.set(s, i);
    }
    return i;
  }

  private push(op: number, num: number, a: number, b: number): void {
    this.ops.push(op, num, a, b);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => {
        if (this.scheduled) this.flush();
      });
    }
  }
}
