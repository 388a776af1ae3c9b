/** Slash commands and action ids: the names manifest.yml, Slack and tests rely on (SPEC 6, 7). */
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
} as const;
