import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LeaseRecord } from '../sqlite/sqliteInstanceLease.ts';
import { sendJson } from './httpIo.ts';

export interface StandbyServerOptions {
  port: number;
  version: string;
  mode: string;
  /** This instance's name. */
  instance: string;
  /** Who holds the lease now (read on each request). */
  holder: () => LeaseRecord | undefined;
  now: () => number;
}

/**
 * What a waiting instance serves (one writer on SQLite): `GET /healthz` answers 503
 * `{"status":"standby"}` with who holds the lease, so that a load balancer sends nothing here; every
 * other request gets 503 `{"error":"standby"}` and `Retry-After`, and nothing is stored.
 */
export async function startStandbyServer(options: StandbyServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method === 'GET' && path === '/healthz') {
      const lease = options.holder();
      sendJson(res, 503, {
        status: 'standby',
        version: options.version,
        mode: options.mode,
        store: 'sqlite',
        instance: options.instance,
        lease: lease ? { holder: lease.holder, heartbeat_age_seconds: Math.max(0, Math.round((options.now() - lease.heartbeat_at) / 1000)) } : null,
      });
      return;
    }
    sendJson(res, 503, { error: 'standby', message: 'another instance holds this database; this one takes over when it stops' }, { 'retry-after': '5' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
