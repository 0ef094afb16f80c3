import { GlassboxError } from '@glassbox/core';

/**
 * Sliding windows of bucket counts. Each observation is one bucket index per channel (e.g.
 * confidence bucket, margin bucket, entropy bucket, label) plus optional numeric values whose
 * window sums are kept (e.g. top-class probability, for a mean). The window stores bucket indexes
 * in a ring buffer and keeps per-channel counts up to date, so adding and evicting cost
 * O(channels) per observation and reading counts never rescans the window.
 *
 * Every observation gets a sequence number (0, 1, 2, ... in order of `add`), which stays valid
 * while the observation is inside the window (`has(seq)`); values can be updated through it
 * (e.g. when a feedback label arrives later).
 */

export interface SlidingWindowOptions {
  /** Buckets per channel: channel c takes indexes 0..bins[c]-1. */
  bins: readonly number[];
  /** Numeric channels whose window sums are kept. Default 0. */
  values?: number;
}

export interface CountWindowOptions extends SlidingWindowOptions {
  /** The window holds the last `size` observations. */
  size: number;
}

export interface TimeWindowOptions extends SlidingWindowOptions {
  /** The window holds observations added in the last `ms` milliseconds. */
  ms: number;
  /** Also never more than this many (the oldest go first). Default 100000. */
  maxSize?: number;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

export interface SlidingWindow {
  /** Observations now inside the window. */
  readonly length: number;
  /** Observations ever added: the sequence number the next one gets. */
  readonly added: number;
  /**
   * Adds one observation (one bucket index per channel); returns its sequence number. `time`
   * (time windows only; default `now()`) is when it happened, for observations restored after a
   * restart; they must come oldest first.
   */
  add(buckets: ArrayLike<number>, values?: ArrayLike<number>, time?: number): number;
  /** Whether observation `seq` is still inside the window. */
  has(seq: number): boolean;
  /** Bucket index of observation `seq` on `channel` (-1 when it has left the window). */
  bucketOf(seq: number, channel: number): number;
  /** Value of observation `seq` on value channel `channel` (NaN when it has left the window). */
  valueOf(seq: number, channel: number): number;
  /** Replaces a value of an observation still inside; returns false when it has left. */
  setValue(seq: number, channel: number, value: number): boolean;
  /** A copy of the bucket counts of `channel`. */
  counts(channel: number): Float64Array;
  /** Sum of value channel `channel` over the window. */
  sum(channel: number): number;
  clear(): void;
}

const DEFAULT_MAX_SIZE = 100_000;

class RingWindow implements SlidingWindow {
  private readonly bins: readonly number[];
  private readonly channels: number;
  private readonly valueChannels: number;
  private readonly countsByChannel: Float64Array[];
  private readonly sums: Float64Array;
  private capacity: number;
  private buckets: Int32Array;
  private values: Float64Array;
  private times: Float64Array | null;
  private head = 0;
  private len = 0;
  private next = 0;

  constructor(
    options: SlidingWindowOptions,
    private readonly maxSize: number,
    private readonly ms: number | null,
    private readonly now: () => number,
  ) {
    this.bins = [...options.bins];
    this.channels = this.bins.length;
    this.valueChannels = options.values ?? 0;
    this.countsByChannel = this.bins.map((b) => new Float64Array(b));
    this.sums = new Float64Array(this.valueChannels);
    this.capacity = ms === null ? maxSize : Math.min(maxSize, 64);
    this.buckets = new Int32Array(this.capacity * this.channels);
    this.values = new Float64Array(this.capacity * this.valueChannels);
    this.times = ms === null ? null : new Float64Array(this.capacity);
  }

  get length(): number {
    this.expire();
    return this.len;
  }

  get added(): number {
    return this.next;
  }

  add(buckets: ArrayLike<number>, values: ArrayLike<number> = [], at?: number): number {
    if (buckets.length !== this.channels || values.length !== this.valueChannels) {
      throw new GlassboxError(
        'INVALID_INPUT',
        `an observation needs ${this.channels} bucket indexes and ${this.valueChannels} values (got ${buckets.length} and ${values.length}).`,
      );
    }
    for (let c = 0; c < this.channels; c++) {
      const b = buckets[c];
      if (!Number.isInteger(b) || b < 0 || b >= this.bins[c]) {
        throw new GlassboxError('INVALID_INPUT', `bucket index ${b} on channel ${c} is outside 0..${this.bins[c] - 1}.`);
      }
    }
    const time = this.times ? (at ?? this.now()) : 0;
    this.expire(time);
    if (this.len === this.maxSize) this.evictOldest();
    else if (this.len === this.capacity) this.grow();
    const slot = (this.head + this.len) % this.capacity;
    for (let c = 0; c < this.channels; c++) {
      this.buckets[slot * this.channels + c] = buckets[c];
      this.countsByChannel[c][buckets[c]] += 1;
    }
    for (let v = 0; v < this.valueChannels; v++) {
      this.values[slot * this.valueChannels + v] = values[v];
      this.sums[v] += values[v];
    }
    if (this.times) this.times[slot] = time;
    this.len++;
    return this.next++;
  }

  has(seq: number): boolean {
    this.expire();
    return Number.isInteger(seq) && seq >= this.next - this.len && seq < this.next;
  }

  bucketOf(seq: number, channel: number): number {
    return this.has(seq) ? this.buckets[this.slotOf(seq) * this.channels + channel] : -1;
  }

  valueOf(seq: number, channel: number): number {
    return this.has(seq) ? this.values[this.slotOf(seq) * this.valueChannels + channel] : NaN;
  }

  setValue(seq: number, channel: number, value: number): boolean {
    if (!this.has(seq)) return false;
    const i = this.slotOf(seq) * this.valueChannels + channel;
    this.sums[channel] += value - this.values[i];
    this.values[i] = value;
    return true;
  }

  counts(channel: number): Float64Array {
    this.expire();
    return Float64Array.from(this.countsByChannel[channel]);
  }

  sum(channel: number): number {
    this.expire();
    return this.sums[channel];
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
    for (const counts of this.countsByChannel) counts.fill(0);
    this.sums.fill(0);
  }

  private slotOf(seq: number): number {
    return (this.head + (seq - (this.next - this.len))) % this.capacity;
  }

  private expire(time?: number): void {
    if (!this.times || this.ms === null) return;
    const cutoff = (time ?? this.now()) - this.ms;
    while (this.len > 0 && this.times[this.head] <= cutoff) this.evictOldest();
  }

  private evictOldest(): void {
    const slot = this.head;
    for (let c = 0; c < this.channels; c++) this.countsByChannel[c][this.buckets[slot * this.channels + c]] -= 1;
    for (let v = 0; v < this.valueChannels; v++) this.sums[v] -= this.values[slot * this.valueChannels + v];
    this.head = (this.head + 1) % this.capacity;
    this.len--;
    // Running float sums drift by rounding; an empty window restarts them exactly.
    if (this.len === 0) this.sums.fill(0);
  }

  /** Doubles the ring (time windows only), unrolling it so the oldest sits at slot 0. */
  private grow(): void {
    const capacity = Math.min(this.maxSize, this.capacity * 2);
    const buckets = new Int32Array(capacity * this.channels);
    const values = new Float64Array(capacity * this.valueChannels);
    const times = new Float64Array(capacity);
    for (let i = 0; i < this.len; i++) {
      const slot = (this.head + i) % this.capacity;
      buckets.set(this.buckets.subarray(slot * this.channels, (slot + 1) * this.channels), i * this.channels);
      values.set(this.values.subarray(slot * this.valueChannels, (slot + 1) * this.valueChannels), i * this.valueChannels);
      if (this.times) times[i] = this.times[slot];
    }
    this.buckets = buckets;
    this.values = values;
    this.times = this.times ? times : null;
    this.capacity = capacity;
    this.head = 0;
  }
}

function checkChannels(options: SlidingWindowOptions): void {
  if (!Array.isArray(options.bins) || options.bins.length === 0 || options.bins.some((b) => !Number.isInteger(b) || b < 1)) {
    throw new GlassboxError('INVALID_OPTION', 'window bins must be a non-empty list of positive integers (buckets per channel).');
  }
  const values = options.values ?? 0;
  if (!Number.isInteger(values) || values < 0) {
    throw new GlassboxError('INVALID_OPTION', `window values must be an integer >= 0 (got ${values}).`);
  }
}

function checkSize(size: number, name: string): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new GlassboxError('INVALID_OPTION', `${name} must be an integer >= 1 (got ${size}).`);
  }
}

/** A window over the last `size` observations. */
export function createCountWindow(options: CountWindowOptions): SlidingWindow {
  checkChannels(options);
  checkSize(options.size, 'window size');
  return new RingWindow(options, options.size, null, Date.now);
}

/**
 * A window over the observations added in the last `ms` milliseconds of `now()` (an observation
 * added at time t leaves once now() - t >= ms), capped at `maxSize` observations.
 */
export function createTimeWindow(options: TimeWindowOptions): SlidingWindow {
  checkChannels(options);
  if (!(options.ms > 0) || !Number.isFinite(options.ms)) {
    throw new GlassboxError('INVALID_OPTION', `window ms must be a positive finite number of milliseconds (got ${options.ms}).`);
  }
  const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
  checkSize(maxSize, 'window maxSize');
  return new RingWindow(options, maxSize, options.ms, options.now ?? Date.now);
}
