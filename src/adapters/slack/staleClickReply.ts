import type { CommandResult } from '../../app/offerLifecycle.ts';
import { whereaboutsWords } from './renderOfferCard.ts';

/** The ephemeral answer to a click that changed nothing: where the lead is now. */
export function staleClickReply(result: Extract<CommandResult, { ok: false }>, viewer: string): string {
  const lead = result.ref ?? 'This lead';
  switch (result.reason) {
    case 'not_yours':
      return `${lead} is not offered to you${result.whereabouts ? `: it is ${whereaboutsWords(result.whereabouts, viewer)}` : ''}.`;
    case 'not_owner':
      return `Only ${lead}'s owner or a manager can do that.`;
    case 'same_owner':
      return `${lead} already belongs to them. Nothing changed.`;
    case 'not_manager':
      return `Only a manager can assign ${lead}.`;
    case 'unknown_rep':
      return `That person is not a rep in leadrelay.yml, so ${lead} cannot be assigned to them. Nothing changed.`;
    case 'stale':
      return result.whereabouts
        ? `Nothing changed: ${lead} is already ${whereaboutsWords(result.whereabouts, viewer)}.`
        : `Nothing changed: ${lead} is no longer waiting for this.`;
  }
}

/** The ephemeral answer to a click on a copy of a card's buttons (`/leads`) that changed something. */
export function clickConfirmation(result: Extract<CommandResult, { ok: true }>): string {
  const event = result.events[0]?.event;
  switch (event) {
    case 'lead.claimed':
      return `✅ ${result.ref} is yours.`;
    case 'lead.passed':
      return `👋 You passed ${result.ref}; it moves on to the next rep.`;
    case 'lead.assigned':
      return `✅ ${result.ref} is assigned.`;
    default:
      return `✅ Done: ${result.ref}.`;
  }
}
