import pg from 'pg';

/**
 * PostgreSQL LISTEN on one channel over a dedicated connection (a pooled one may be handed to
 * another query), reconnecting every `retryMs` after the server goes away. Notifications are a
 * speed-up only: whoever listens also polls, since a notification sent while the connection was
 * down is lost (`onNotify(null)` after each reconnect says so: read everything again).
 */

export interface PgListenOptions {
  url: string;
  channel: string;
  /** A payload, or null after a reconnect (notifications may have been missed). */
  onNotify(payload: string | null): void;
  /** Milliseconds a connection attempt may take (default 5000). */
  timeoutMs?: number;
  /** Milliseconds between reconnection attempts (default 1000). */
  retryMs?: number;
  applicationName?: string;
}

export interface PgListener {
  /** Resolves once the first LISTEN is in place (or its first attempt failed: retries go on). */
  readonly ready: Promise<void>;
  /** Stops listening and reconnecting. Idempotent. */
  close(): Promise<void>;
}

export function listenForNotifications(options: PgListenOptions): PgListener {
  const retryMs = options.retryMs ?? 1000;
  let closed = false;
  let client: pg.Client | null = null;
  let timer: NodeJS.Timeout | null = null;
  let connectedBefore = false;

  const retry = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, retryMs);
    timer.unref();
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: options.timeoutMs ?? 5000, application_name: options.applicationName });
    client = c;
    // A broken connection must not crash the process: drop it and connect again.
    c.on('error', () => {
      void c.end().catch(() => undefined);
      if (client === c) retry();
    });
    c.on('end', () => {
      if (client === c) retry();
    });
    c.on('notification', (message) => {
      if (message.channel === options.channel) options.onNotify(message.payload ?? '');
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${c.escapeIdentifier(options.channel)}`);
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      if (connectedBefore) options.onNotify(null);
      connectedBefore = true;
    } catch {
      await c.end().catch(() => undefined);
      if (client === c) retry();
    }
  };

  const ready = connect();
  return {
    ready,
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
