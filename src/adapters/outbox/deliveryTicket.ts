import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The outbox row whose delivery is running, for code deep in that delivery that needs to know it
 * without every call passing it along: the Slack pacer books a slot per row (see slackPacer.ts).
 */
export const deliveryTicket = new AsyncLocalStorage<number>();
