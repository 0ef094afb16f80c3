import type { PgStateStore } from '@glassbox/monitor';
import type { StateWrites } from './state-writes.js';

/**
 * The heartbeat of a replica on a shared (PostgreSQL) store: a small write every `intervalMs`.
 * A failed one starts the state-writes condition (so /ready answers 503 with no traffic at
 * all); the first one that succeeds again ends it. `probe` is the synchronous view the
 * state-write health asks while writes fail: it throws until a heartbeat went through.
 */
export interface SharedHeartbeat {
  probe(): void;
  /** Starts reporting to `writes`. */
  watch(writes: Pick<StateWrites, 'failing' | 'record' | 'check'>): void;
  stop(): void;
}

export function startHeartbeat(store: Pick<PgStateStore, 'probe' | 'path'>, intervalMs: number): SharedHeartbeat {
  let lastError: unknown = null;
  let target: Pick<StateWrites, 'failing' | 'record' | 'check'> | null = null;
  let running = false;
  /** The probe was asked during the current condition, and a heartbeat went through since. */
  let asked = false;
  let confirmed = false;
  const beat = () => {
    if (running) return;
    running = true;
    store
      .probe()
      .then(
        () => {
          lastError = null;
          if (asked) confirmed = true;
          if (target?.failing) target.check();
        },
        (error: unknown) => {
          lastError = error;
          // One failure starts the condition; later ones while it lasts are not counted again.
          if (target && !target.failing) target.record(error);
        },
      )
      .finally(() => (running = false));
  };
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return {
    probe() {
      if (confirmed) {
        confirmed = false;
        asked = false;
        return;
      }
      // Writes failed: healthy again only once a heartbeat written after this goes through.
      asked = true;
      beat();
      throw lastError ?? new Error(`waiting for a heartbeat to reach ${store.path}`);
    },
    watch(writes) {
      target = writes;
    },
    stop: () => clearInterval(timer),
  };
}
