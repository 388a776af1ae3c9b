import { pino, type Logger as PinoLogger } from 'pino';
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { LeadEvent } from '../app/leadEvents.ts';
import { leadRef } from '../domain/lead.ts';

export type Logger = PinoLogger;

/**
 * Structured JSON logs. Lead PII (e-mail, phone, names, message text) is never logged at info:
 * state-change lines carry the lead reference only; these paths are redacted as a safety net.
 * Written to stdout asynchronously (pino's sonic-boom destination: a line is handed to the kernel
 * by a write of its own, and lines logged while one is on its way go together in the next), so a
 * burst of 10,000 expiries does not make 20,000 blocking writes on the event loop's thread. Pino
 * writes what is left synchronously when the process exits (the end of a SIGTERM stop, a fatal
 * start-up error, an uncaught exception); a kill -9 can lose the lines still on their way.
 */
export function createLogger(level: string, destination?: { write(line: string): unknown }): Logger {
  const output = destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level,
      base: { app: 'leadrelay' },
      redact: {
        paths: ['email', 'phone', 'message', 'name', 'lead.email', 'lead.phone', 'lead.message', 'lead.name', 'token', 'secret', 'authorization'],
        censor: '[redacted]',
      },
    },
    output,
  );
}

const boltToPino: Record<LogLevel, string> = {
  [LogLevel.DEBUG]: 'debug',
  [LogLevel.INFO]: 'info',
  [LogLevel.WARN]: 'warn',
  [LogLevel.ERROR]: 'error',
};

/** Bolt's Logger interface on top of ours, so Bolt's lines are JSON like the rest. */
export function boltLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'bolt' });
  let name = 'bolt';
  return {
    debug: (...msg: unknown[]) => child.debug({ logger: name }, msg.map(String).join(' ')),
    info: (...msg: unknown[]) => child.info({ logger: name }, msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => child.warn({ logger: name }, msg.map(String).join(' ')),
    error: (...msg: unknown[]) => child.error({ logger: name }, msg.map(String).join(' ')),
    setLevel: (level: LogLevel) => {
      child.level = boltToPino[level] ?? 'info';
    },
    getLevel: () => (Object.entries(boltToPino).find(([, v]) => v === child.level)?.[0] as LogLevel | undefined) ?? LogLevel.INFO,
    setName: (value: string) => {
      name = value;
    },
  };
}

/**
 * One `info` line per committed lead event: `{"lead":"L-17","event":"lead.claimed","by":"U0ALICE",…}`.
 * Only the fields a LeadEvent has are written — ids, rule, team and sequence names, fixed reasons —
 * so no e-mail, phone, name or message of a lead can reach the log this way.
 */
export function logLeadEvent(logger: Logger, event: LeadEvent): void {
  if (!logger.isLevelEnabled('info')) return;
  const { event: name, leadId, at: _at, receivedAt: _receivedAt, offerOutcome, firstOwner, ...facts } = event;
  logger.info(
    { lead: leadRef(leadId), event: name, ...facts, ...(offerOutcome ? { offer: offerOutcome } : {}), ...(firstOwner ? { first_owner: true } : {}) },
    name.replace('.', ' '),
  );
}
