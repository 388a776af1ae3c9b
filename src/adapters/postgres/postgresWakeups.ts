/**
 * Wake-ups across instances on PostgreSQL: one dedicated connection per instance LISTENs on the
 * channels the triggers of migration 0003 notify at commit (`leadrelay_outbox`: outbox rows were
 * written; `leadrelay_deadline`: offers were), and tells this instance's outbox worker and deadline
 * timer. A lost connection is opened again (with backoff) and, once it is, every listener is told
 * once: what was notified meanwhile is not replayed. The workers' own short polls (the outbox at
 * least every second, the every-second deadline sweep) stay the safety net.
 */
import pg from 'pg';
import type { Logger } from '../logger.ts';
import type { InstanceWakeups } from '../storeBackend.ts';
import { POOL_DEFAULTS } from './connectPostgres.ts';

export const WAKEUP_CHANNELS = { outbox: 'leadrelay_outbox', deadline: 'leadrelay_deadline' } as const;
type Topic = keyof typeof WAKEUP_CHANNELS;

export interface PostgresWakeupsOptions {
  logger: Logger;
  /** Notifications arriving within this long are told once (a burst of commits elsewhere); default 10 ms. */
  coalesceMs?: number;
  /** The first wait before opening a lost connection again, doubled up to `maxRetryMs`; defaults 250 ms and 5 s. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface PostgresWakeups extends InstanceWakeups {
  /** Resolves once the connection listens (the first time, or again after it was lost). */
  listening(): Promise<void>;
  /** How many times the connection was opened (1 until it is lost once). */
  readonly connections: number;
  /** Ends the connection for good. */
  close(): Promise<void>;
}

/** Listens on `url` (a connection of its own, beside the pool); resolves once it listens. */
export async function listenForWakeups(url: string, options: PostgresWakeupsOptions): Promise<PostgresWakeups> {
  const { logger } = options;
  const coalesceMs = options.coalesceMs ?? 10;
  const retryMs = options.retryMs ?? 250;
  const maxRetryMs = options.maxRetryMs ?? 5000;
  const listeners: Record<Topic, (() => void)[]> = { outbox: [], deadline: [] };
  const pending = new Set<Topic>();
  let flushTimer: NodeJS.Timeout | undefined;
  let client: pg.Client | undefined;
  let closed = false;
  let connections = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  let onListening: (() => void)[] = [];
  let isListening = false;

  const tell = (topics: Iterable<Topic>) => {
    for (const topic of topics) {
      for (const listener of listeners[topic]) {
        try {
          listener();
        } catch (error) {
          logger.error({ err: error, topic }, 'a wake-up listener failed');
        }
      }
    }
  };
  const notified = (topic: Topic) => {
    pending.add(topic);
    if (flushTimer) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      const topics = [...pending];
      pending.clear();
      tell(topics);
    }, coalesceMs);
    flushTimer.unref();
  };
  const topicOf = (channel: string): Topic | undefined => (Object.keys(WAKEUP_CHANNELS) as Topic[]).find((topic) => WAKEUP_CHANNELS[topic] === channel);

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url, application_name: 'leadrelay-wakeups', connectionTimeoutMillis: POOL_DEFAULTS.connectTimeoutMs, keepAlive: true });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      isListening = false;
      next.removeAllListeners('notification');
      void next.end().catch(() => undefined);
      if (closed) return;
      logger.warn({ err: error, event: 'wakeups.lost' }, 'the connection that listens for other instances lost; opening it again (the timers poll meanwhile)');
      scheduleReconnect();
    };
    next.on('error', onLost);
    next.on('end', () => onLost());
    next.on('notification', (message) => {
      const topic = topicOf(message.channel);
      if (topic) notified(topic);
    });
    try {
      await next.connect();
      for (const channel of Object.values(WAKEUP_CHANNELS)) await next.query(`LISTEN ${channel}`);
    } catch (error) {
      onLost(error as Error);
      throw error;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    connections += 1;
    failures = 0;
    isListening = true;
    for (const resolve of onListening.splice(0)) resolve();
    // Listening again after a gap: what was notified meanwhile is lost, so everyone looks now.
    if (connections > 1) tell(['outbox', 'deadline']);
  };
  const scheduleReconnect = () => {
    if (closed || retryTimer) return;
    const wait = Math.min(maxRetryMs, retryMs * 2 ** failures);
    failures += 1;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect().catch(() => undefined);
    }, wait);
    retryTimer.unref();
  };

  // The first connection's failure is a start-up error (the pool worked a moment ago: it is rare).
  await connect().catch((error: unknown) => {
    closed = true;
    if (retryTimer) clearTimeout(retryTimer);
    throw error;
  });

  return {
    onOutbox: (listener) => void listeners.outbox.push(listener),
    onDeadline: (listener) => void listeners.deadline.push(listener),
    listening: () => (isListening ? Promise.resolve() : new Promise<void>((resolve) => onListening.push(resolve))),
    get connections() {
      return connections;
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (flushTimer) clearTimeout(flushTimer);
      onListening = [];
      await client?.end().catch(() => undefined);
    },
  };
}
