import type { App } from '@slack/bolt';
import type { OfferLifecycle } from '../../../app/offerLifecycle.ts';
import type { Config } from '../../../config/schema.ts';
import { parseReassignArgs } from '../../../domain/commands/parseCommandArgs.ts';
import { leadRef } from '../../../domain/lead.ts';
import { isManager, isRep } from '../../../domain/people.ts';
import type { Logger } from '../../logger.ts';
import type { SqliteLeadStore } from '../../sqlite/sqliteLeadStore.ts';
import { staleClickReply } from '../actions/staleClickReply.ts';
import { mention } from '../slackFormat.ts';
import { COMMANDS } from '../slackIds.ts';
import { COMMAND_USAGE } from './commandUsage.ts';
import { registerCommand } from './registerCommand.ts';

const usage = COMMAND_USAGE[COMMANDS.reassign];

/** `/reassign L-17 @rep [reason]`: the lead's owner or a manager hands it over; both are told. */
export function registerReassignCommand(app: App, deps: { logger: Logger; config: () => Config; lifecycle: OfferLifecycle; leads: SqliteLeadStore }): void {
  registerCommand(app, COMMANDS.reassign, { logger: deps.logger, people: deps.config }, ({ userId, text }) => {
    const parsed = parseReassignArgs(text);
    if (!parsed.ok) return { text: `${parsed.error}\n${usage}` };
    const args = parsed.value;
    if (args.kind === 'help') return { text: usage };
    if (!deps.leads.getLead(args.leadId)) return { text: `There is no lead ${leadRef(args.leadId)}. Nothing changed.` };
    const config = deps.config();
    const result = deps.lifecycle.reassign(args.leadId, {
      by: userId,
      byManager: isManager(config, userId),
      repId: args.to,
      repKnown: isRep(config, args.to),
      reason: args.reason,
    });
    if (!result.ok) return { text: staleClickReply(result, userId) };
    return { text: `${leadRef(args.leadId)} now belongs to ${mention(args.to)}; they have been told${args.reason ? ` (reason: ${args.reason})` : ''}.` };
  });
}
