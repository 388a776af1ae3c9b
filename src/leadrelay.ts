/**
 * The composition root, shared by main.ts, the sandbox and the end-to-end tests (which pass a fake
 * clock and the Slack stand-in's URL): build the services, register the Slack listeners, start the
 * runtime. src/buildServices.ts and src/startRuntime.ts hold the two halves; the use cases
 * (src/app) decide, the adapters (src/adapters) talk to the world.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './adapters/packageRoot.ts';
import { registerListeners } from './adapters/slack/listeners/index.ts';
import { buildServices, type Services, type ServicesOptions } from './buildServices.ts';
import { startRuntime } from './startRuntime.ts';

export const VERSION: string = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

export interface LeadrelayOptions extends Omit<ServicesOptions, 'version'> {
  /** Run the every-second sweep, the deadline timer and the outbox timers (default true; tests with a fake clock drive them). */
  timers?: boolean;
}

export interface RunningLeadrelay {
  port: number;
  /** The use cases, the deadlines and the outbox, for tests that drive time with a fake clock. */
  router: Services['router'];
  lifecycle: Services['lifecycle'];
  availability: Services['availability'];
  deadlines: Services['deadlines'];
  outbox: Services['worker'];
  /** The App Home republish the every-second sweep runs (the users marked since, on any instance). */
  flushAppHomes(): Promise<void>;
  /** The store the bot runs on, and this instance's name (as /healthz says). */
  store: Services['backend']['kind'];
  instance: string;
  /** Reads `enrichment.companies` again (SIGHUP); a bad file keeps the previous table and says why. */
  reloadCompanies(): { ok: true; size: number } | { ok: false; errors: string[] };
  /** Stops taking requests, finishes in-flight work. The caller closes the database. */
  stop(): Promise<void>;
}

/** Builds the services around an open database and starts serving. */
export async function startLeadrelay(options: LeadrelayOptions): Promise<RunningLeadrelay> {
  const services = await buildServices({ ...options, version: VERSION });
  registerListeners(services.slack.app, { ...services, uow: services.store.uow });
  const runtime = await startRuntime(services, { timers: options.timers ?? true, version: VERSION });
  return {
    port: runtime.port,
    router: services.router,
    lifecycle: services.lifecycle,
    availability: services.availability,
    deadlines: services.deadlines,
    outbox: services.worker,
    flushAppHomes: () => services.home.flush(),
    store: services.backend.kind,
    instance: services.backend.instance,
    reloadCompanies: () => reloadCompanies(services),
    stop: runtime.stop,
  };
}

function reloadCompanies({ companies, logger }: Services): { ok: true; size: number } | { ok: false; errors: string[] } {
  if (!companies) {
    logger.info({ event: 'companies.reload_skipped' }, 'no company table to reload (enrichment.companies is not set)');
    return { ok: false, errors: ['enrichment.companies is not set in the config'] };
  }
  const result = companies.reload();
  if (result.ok) logger.info({ event: 'companies.reloaded', file: companies.shownAs, companies: result.size }, 'company table reloaded');
  else logger.error({ event: 'companies.reload_failed', file: companies.shownAs, errors: result.errors }, 'company table NOT reloaded: the previous one stays in use');
  return result;
}
