/**
 * The after-commit event bus: what the use cases tell the rest of the bot once a change is durable
 * (they publish from `tx.afterCommit` hooks), and what the runtime, the outbox worker and the App
 * Home subscribe to. It replaces callbacks bound late: a use case never needs the worker, nor the
 * worker a use case.
 */
import type { Effect } from '../domain/effects.ts';
import type { LeadEvent } from './leadEvents.ts';

export type AppEvent =
  /** Outbox rows were committed: delivery can start. */
  | { type: 'effectsQueued' }
  /** A committed change of a lead: logged (one line) and counted. */
  | { type: 'leadChanged'; event: LeadEvent }
  /** A user's state changed (an offer, a claim, away, a lead done): their App Home shows it at the next publish. */
  | { type: 'homeTouched'; userId: string }
  /** The outbox gave up on an effect (Slack or a receiver refused it for good); `leadId` null for effects about no lead. */
  | { type: 'deliveryFailed'; leadId: number | null; effect: Effect; error: string };

export type AppEventType = AppEvent['type'];
export type AppEventOf<Type extends AppEventType> = Extract<AppEvent, { type: Type }>;

type Handler = (event: AppEvent) => void | Promise<void>;

export interface EventBus {
  /**
   * Tells every subscriber of the event's type, in the order they subscribed; resolves once the
   * subscribers that returned a promise are done (most publishers need not wait). A subscriber that
   * fails is reported, never the publisher's problem.
   */
  publish(event: AppEvent): Promise<void>;
  subscribe<Type extends AppEventType>(type: Type, handler: (event: AppEventOf<Type>) => void | Promise<void>): () => void;
}

const DONE = Promise.resolve();

export function createEventBus(onError: (error: unknown, event: AppEvent) => void): EventBus {
  const handlers = new Map<AppEventType, Handler[]>();
  return {
    publish(event) {
      let pending: Promise<void>[] | undefined;
      for (const handler of handlers.get(event.type) ?? []) {
        try {
          const result = handler(event);
          if (result) (pending ??= []).push(result.catch((error: unknown) => onError(error, event)));
        } catch (error) {
          onError(error, event);
        }
      }
      return pending ? Promise.all(pending).then(() => undefined) : DONE;
    },
    subscribe(type, handler) {
      const list = handlers.get(type) ?? [];
      const entry = handler as Handler;
      handlers.set(type, [...list, entry]);
      return () => handlers.set(type, (handlers.get(type) ?? []).filter((h) => h !== entry));
    },
  };
}
