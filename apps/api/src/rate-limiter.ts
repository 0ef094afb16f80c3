/** Token buckets per key (client IP): `burst` requests at once, refilled at `requestsPerSecond`. */
export interface RateLimiter {
  /** Takes one token for `key`: 0 when allowed, else the seconds until one is available. */
  take(key: string): number;
}

export interface RateLimiterOptions {
  requestsPerSecond: number;
  burst: number;
  /** Clock in milliseconds (default Date.now), for tests. */
  now?: () => number;
  /** Buckets kept before full (idle) ones are dropped (default 10000). */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { requestsPerSecond: rate, burst } = options;
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, Bucket>();

  function refill(bucket: Bucket, t: number): void {
    bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.at) / 1000) * rate);
    bucket.at = t;
  }

  function prune(t: number): void {
    for (const [key, bucket] of buckets) {
      refill(bucket, t);
      if (bucket.tokens >= burst) buckets.delete(key);
    }
  }

  return {
    take(key) {
      const t = now();
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= maxKeys) prune(t);
        bucket = { tokens: burst, at: t };
        buckets.set(key, bucket);
      }
      refill(bucket, t);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return (1 - bucket.tokens) / rate;
    },
  };
}
