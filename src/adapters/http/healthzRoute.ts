import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FailingWebhook } from '../../app/ports.ts';
import { sendJson } from './httpIo.ts';

export interface HealthReport {
  version: string;
  mode: string;
  /** The store the bot runs on. */
  store: 'sqlite' | 'postgres';
  /** This instance's name (on SQLite it holds the database's lease). */
  instance: string;
  /** Rejects when the database cannot be read. */
  outboxBacklog: () => Promise<{ pending: number; oldestAgeSeconds: number | null }>;
  /** Webhook receivers whose deliveries are failing (retrying), shown so an operator sees a broken CRM hook. */
  failingWebhooks?: () => Promise<FailingWebhook[]>;
  now?: () => number;
  /** True once shutdown has started: load balancers should stop sending. */
  shuttingDown: () => boolean;
}

/** GET /healthz: 200 with what an operator checks first, 503 when the bot cannot do its job. */
export function createHealthzRoute(report: HealthReport) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let database: 'ok' | 'error' = 'ok';
    let outbox: { pending: number; oldest_age_seconds: number | null } | null = null;
    let failing: { url: string; pending: number; failing_for_seconds: number; last_error: string | null }[] = [];
    try {
      const backlog = await report.outboxBacklog();
      outbox = { pending: backlog.pending, oldest_age_seconds: backlog.oldestAgeSeconds };
      const now = report.now?.() ?? 0;
      failing = ((await report.failingWebhooks?.()) ?? []).map((w) => ({
        url: w.url,
        pending: w.pending,
        failing_for_seconds: Math.max(0, Math.round((now - w.since) / 1000)),
        last_error: w.lastError,
      }));
    } catch {
      database = 'error';
    }
    const healthy = database === 'ok' && !report.shuttingDown();
    sendJson(res, healthy ? 200 : 503, {
      status: healthy ? 'ok' : report.shuttingDown() ? 'shutting_down' : 'unhealthy',
      version: report.version,
      mode: report.mode,
      store: report.store,
      instance: report.instance,
      database,
      outbox,
      webhooks_failing: failing,
    });
  };
}
