/**
 * Every Bolt listener, one per file (the bolt-js layout): actions (the cards' and the App Home's
 * buttons), slash commands, events; and the middleware that hands each Slack event to them once.
 */
import type { App } from '@slack/bolt';
import type { AccountOwners } from '../../../app/accountOwners.ts';
import type { Availability } from '../../../app/availability.ts';
import type { OfferLifecycle } from '../../../app/offerLifecycle.ts';
import type { UnitOfWork } from '../../../app/ports.ts';
import type { LeadViews } from '../../../app/readModels.ts';
import type { Clock } from '../../../domain/clock.ts';
import type { Settings } from '../../../domain/settings.ts';
import type { Logger } from '../../logger.ts';
import type { AppHomePublisher } from '../appHomePublisher.ts';
import { registerAssignLead } from './actions/assignLead.ts';
import { registerClaimLead } from './actions/claimLead.ts';
import { registerMarkDone } from './actions/markDone.ts';
import { registerPassLead } from './actions/passLead.ts';
import { registerShowFullMessage } from './actions/showFullMessage.ts';
import { registerToggleAway } from './actions/toggleAway.ts';
import { registerAwayCommand } from './commands/away.ts';
import { registerLeadsCommand } from './commands/leads.ts';
import { registerOwnerCommand } from './commands/owner.ts';
import { registerReassignCommand } from './commands/reassign.ts';
import { dedupeSlackDeliveries } from './dedupeDeliveries.ts';
import { registerAppHomeOpened } from './events/appHomeOpened.ts';

/** What the listeners call: the use cases, the views, and the App Home. */
export interface ListenerDeps {
  uow: UnitOfWork;
  lifecycle: OfferLifecycle;
  availability: Availability;
  accountOwners: AccountOwners;
  views: LeadViews;
  home: AppHomePublisher;
  settings: () => Settings;
  clock: Clock;
  logger: Logger;
}

export function registerListeners(app: App, deps: ListenerDeps): void {
  dedupeSlackDeliveries(app, deps);
  registerClaimLead(app, deps);
  registerPassLead(app, deps);
  registerAssignLead(app, deps);
  registerShowFullMessage(app, deps);
  registerToggleAway(app, deps);
  registerMarkDone(app, deps);
  registerAwayCommand(app, deps);
  registerLeadsCommand(app, deps);
  registerReassignCommand(app, deps);
  registerOwnerCommand(app, deps);
  registerAppHomeOpened(app, deps);
}
