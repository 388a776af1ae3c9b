/** Slash commands and action ids: the names manifest.yml, Slack and tests rely on. */
export const COMMANDS = {
  away: '/away',
  leads: '/leads',
  reassign: '/reassign',
  owner: '/owner',
} as const;

export const ACTIONS = {
  claimLead: 'claim_lead',
  passLead: 'pass_lead',
  assignLead: 'assign_lead',
  toggleAway: 'toggle_away',
  /** The Done button on an open lead (App Home, `/leads`). */
  leadDone: 'lead_done',
  /** "Full message" on a card whose lead message is longer than its excerpt: opens it in a modal. */
  showFullMessage: 'show_full_message',
} as const;

/** The values of the App Home's `toggle_away` button. */
export const TOGGLE_AWAY_VALUES = { away: 'away', back: 'back' } as const;

/**
 * The reasons a rep can give when passing an offer (the card's "Pass with a reason…" select, action
 * `pass_lead`): a code carried in the option's value, the words recorded in the lead's history.
 */
export const PASS_REASONS = {
  territory: 'Not my territory',
  capacity: 'No capacity right now',
  relationship: 'Conflict or existing relationship',
  fit: 'Not a fit for me',
} as const;
export type PassReasonCode = keyof typeof PASS_REASONS;
