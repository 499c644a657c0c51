/** Token buckets: per key (IP) for HTTP routes, and a single one per connection. */

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }
  /** Takes one token; false if none is left. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSec);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
  /** True if a token is available (without taking it). */
  peek(): boolean {
    const t = this.now();
    return this.tokens + ((t - this.last) / 1000) * this.ratePerSec >= 1;
  }
  /** Seconds until the next token. */
  retryAfterSec(): number {
    return Math.max(1, Math.ceil((1 - this.tokens) / this.ratePerSec));
  }
  get full(): boolean {
    const t = this.now();
    return this.tokens + ((t - this.last) / 1000) * this.ratePerSec >= this.burst;
  }
}

/** Per-key limiter (e.g. per client IP) with periodic cleanup of idle keys. */
export class KeyedRateLimiter {
  private buckets = new Map<string, TokenBucket>();
  constructor(
    private readonly perMinute: number,
    private readonly maxKeys = 100_000,
  ) {}
  /** Returns 0 when allowed, else seconds to wait. */
  check(key: string): number {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) {
        this.sweep();
        // Still full (every key active): drop the oldest key so the map stays bounded.
        if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      }
      b = new TokenBucket(this.perMinute / 60, this.perMinute);
      this.buckets.set(key, b);
    }
    return b.take() ? 0 : b.retryAfterSec();
  }
  /** 0 if `key` still has a token (none is taken), else seconds to wait. */
  peek(key: string): number {
    const b = this.buckets.get(key);
    return !b || b.peek() ? 0 : b.retryAfterSec();
  }
  /** Drop buckets that are full again (idle keys). */
  sweep(): void {
    for (const [k, b] of this.buckets) if (b.full) this.buckets.delete(k);
  }
}
