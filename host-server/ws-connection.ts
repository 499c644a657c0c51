/**
 * Server side of a WebSocket as a `Connection` (core/net/transport.ts), with the limits that
 * belong to the socket itself: a per-connection rate limit (token bucket; excess frames are
 * dropped with an error, a sustained flood closes the socket), a slow-consumer cut-off
 * (bufferedAmount above the limit closes instead of buffering forever) and byte metrics.
 * Frame size is capped by ws `maxPayload` (close 1009) before a frame ever gets here.
 */
import type { WebSocket, RawData } from 'ws';
import type { Connection, Frame, TransportKind } from '../core/net/transport';
import { TokenBucket } from './rate-limit';
import type { Metrics } from './metrics';
import type { ErrorCode } from '../core/protocol/messages';

export const CLOSE_POLICY = 1008;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** Application close codes (4000-4999). */
export const CLOSE_SLOW_CONSUMER = 4008;
export const CLOSE_NOT_FOUND = 4004;
export const CLOSE_FORBIDDEN = 4003;
export const CLOSE_HOST_LEFT = 4010;
/** The room runs on the server now (server-hosted or taken over): a host link is refused for good. */
export const CLOSE_SERVER_HOSTED = 4009;

export interface WsConnectionOptions {
  kind: TransportKind;
  metricsLabel: string;
  metrics: Metrics;
  rateLimitPerSec: number;
  maxBufferedBytes: number;
}

export function rawToFrame(data: RawData, isBinary: boolean): Frame {
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  if (!isBinary) return buf.toString('utf8');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function frameBytes(frame: Frame): number {
  return typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
}

export function errorFrame(code: ErrorCode, message: string): string {
  return JSON.stringify({ type: 'error', code, message });
}

export class WsConnection implements Connection {
  readonly kind: TransportKind;
  private msgCbs: ((f: Frame) => void)[] = [];
  private closeCbs: ((reason: string) => void)[] = [];
  private bucket: TokenBucket;
  private droppedInWindow = 0;
  private windowStart = 0;
  private lastRateError = -Infinity;
  private closedReason: string | null = null;
  /** Frames that arrived before anyone listened (handed over on the first onMessage). */
  private early: Frame[] | null = [];
  /** Rewrites or drops incoming frames before listeners see them (JSON-mode hello shim). */
  inbound: ((frame: Frame) => Frame[]) | null = null;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    private readonly opts: WsConnectionOptions,
  ) {
    this.kind = opts.kind;
    this.bucket = new TokenBucket(opts.rateLimitPerSec, opts.rateLimitPerSec * 2);
    ws.on('message', (data, isBinary) => this.receive(rawToFrame(data, isBinary)));
    ws.on('close', (code, reasonBuf) => {
      const reason = this.closedReason ?? (reasonBuf.length ? reasonBuf.toString() : `closed (${code})`);
      this.closedReason = reason;
      const cbs = this.closeCbs;
      this.closeCbs = [];
      for (const cb of cbs) cb(reason);
    });
    ws.on('error', () => {
      /* 'close' follows; errors such as maxPayload are reported through the close code */
    });
  }

  get open(): boolean {
    return this.closedReason === null && this.ws.readyState === this.ws.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  private receive(frame: Frame): void {
    if (this.closedReason !== null) return;
    const tin = this.opts.metrics.tally.in;
    tin[this.opts.metricsLabel] = (tin[this.opts.metricsLabel] ?? 0) + frameBytes(frame);
    if (!this.bucket.take()) {
      this.opts.metrics.errors.inc({ kind: 'rate_limited' });
      const now = performance.now();
      if (now - this.windowStart > 1000) {
        this.windowStart = now;
        this.droppedInWindow = 0;
      }
      this.droppedInWindow++;
      if (this.droppedInWindow > this.opts.rateLimitPerSec) {
        this.send(errorFrame('rate_limited', 'too many messages: connection closed'));
        this.close(CLOSE_POLICY, 'rate_limited');
        return;
      }
      if (now - this.lastRateError > 1000) {
        this.lastRateError = now;
        this.send(errorFrame('rate_limited', `more than ${this.opts.rateLimitPerSec} messages per second; message dropped`));
      }
      return;
    }
    const frames = this.inbound ? this.inbound(frame) : [frame];
    for (const f of frames) {
      if (this.early) this.early.push(f);
      else for (const cb of this.msgCbs) cb(f);
    }
  }

  send(frame: Frame): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount > this.opts.maxBufferedBytes) {
      this.opts.metrics.errors.inc({ kind: 'slow_consumer' });
      this.close(CLOSE_SLOW_CONSUMER, 'slow_consumer');
      return;
    }
    const n = frameBytes(frame);
    this.ws.send(frame, { binary: typeof frame !== 'string' });
    const tout = this.opts.metrics.tally.out;
    tout[this.opts.metricsLabel] = (tout[this.opts.metricsLabel] ?? 0) + n;
  }

  close(code = 1000, reason = ''): void {
    if (this.closedReason === null) this.closedReason = reason || `closed (${code})`;
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      // Close reasons are limited to 123 bytes.
      this.ws.close(code, Buffer.from(reason).subarray(0, 120).toString());
      // Don't wait forever for a peer that never answers the close handshake.
      const t = setTimeout(() => this.ws.terminate(), 2000);
      t.unref();
    }
  }

  onMessage(cb: (frame: Frame) => void): void {
    this.msgCbs.push(cb);
    if (this.early) {
      const early = this.early;
      this.early = null;
      for (const f of early) cb(f);
    }
  }

  onClose(cb: (reason: string) => void): void {
    if (this.closedReason !== null && this.ws.readyState === this.ws.CLOSED) {
      queueMicrotask(() => cb(this.closedReason ?? 'closed'));
      return;
    }
    this.closeCbs.push(cb);
  }
}
