import type { App } from '@slack/bolt';
import type { OfferLifecycle } from '../../../app/offerLifecycle.ts';
import type { Config } from '../../../config/schema.ts';
import type { Clock } from '../../../domain/clock.ts';
import { parseLeadsArgs } from '../../../domain/commands/parseCommandArgs.ts';
import { leadRef } from '../../../domain/lead.ts';
import { isManager, isRep } from '../../../domain/people.ts';
import type { Logger } from '../../logger.ts';
import type { SqliteLeadStore } from '../../sqlite/sqliteLeadStore.ts';
import type { SqliteReadModels } from '../../sqlite/sqliteReadModels.ts';
import { staleClickReply } from '../actions/staleClickReply.ts';
import { renderLeadDetails } from '../renderLeadDetails.ts';
import { renderMyLeads } from '../renderMyLeads.ts';
import { renderStats } from '../renderStats.ts';
import { renderTeamBoard } from '../renderTeamBoard.ts';
import { COMMANDS } from '../slackIds.ts';
import { COMMAND_USAGE } from './commandUsage.ts';
import { registerCommand, type CommandReply } from './registerCommand.ts';

const usage = COMMAND_USAGE[COMMANDS.leads];

export interface LeadsCommandDeps {
  logger: Logger;
  config: () => Config;
  leads: SqliteLeadStore;
  readModels: SqliteReadModels;
  lifecycle: OfferLifecycle;
  clock: Clock;
  /** Told when a user's state changed, so their App Home is republished. */
  touched?: (userId: string) => void;
}

/** `/leads …`: my offers and open leads, a lead's details, done, the team board, stats. */
export function registerLeadsCommand(app: App, deps: LeadsCommandDeps): void {
  registerCommand(app, COMMANDS.leads, { logger: deps.logger, people: deps.config }, ({ userId, text }): CommandReply => {
    const parsed = parseLeadsArgs(text);
    if (!parsed.ok) return { text: `${parsed.error}\n${usage}` };
    const args = parsed.value;
    const config = deps.config();
    const now = deps.clock.now();
    switch (args.kind) {
      case 'help':
        return { text: usage };
      case 'mine':
        return isRep(config, userId) ? renderMyLeads(deps.readModels.myLeads(userId), now) : { text: `You're not a rep, so no leads are offered to you. Managers: try \`/leads team\`.` };
      case 'show': {
        const stored = deps.leads.getLead(args.leadId);
        if (!stored) return { text: `There is no lead ${leadRef(args.leadId)}.` };
        return renderLeadDetails(stored, deps.leads.history(args.leadId), deps.leads.trace(args.leadId), deps.readModels.leadSignals(args.leadId, 10));
      }
      case 'done': {
        if (!deps.leads.getLead(args.leadId)) return { text: `There is no lead ${leadRef(args.leadId)}. Nothing changed.` };
        const result = deps.lifecycle.done(args.leadId, userId, isManager(config, userId));
        if (!result.ok) return { text: staleClickReply(result, userId) };
        deps.touched?.(userId);
        return { text: `✅ ${leadRef(args.leadId)} is done. Your capacity is freed for the next lead.` };
      }
      case 'team':
        return isManager(config, userId) ? renderTeamBoard(deps.readModels.teamBoard(config, now, userId), now) : { text: 'Only managers can see the team board. Nothing changed.' };
      case 'stats':
        return renderStats(deps.readModels.repStats(config, now), now);
    }
  });
}
