import type { App } from '@slack/bolt';
import { parseReassignArgs } from '../../../../domain/commands/parseCommandArgs.ts';
import { leadRef } from '../../../../domain/lead.ts';
import { isManager, isRep } from '../../../../domain/people.ts';
import { mention } from '../../slackFormat.ts';
import { COMMANDS } from '../../slackIds.ts';
import { staleClickReply } from '../../staleClickReply.ts';
import type { ListenerDeps } from '../index.ts';
import { COMMAND_USAGE } from './commandUsage.ts';
import { registerCommand } from './registerCommand.ts';

const usage = COMMAND_USAGE[COMMANDS.reassign];

/** `/reassign L-17 @rep [reason]`: the lead's owner or a manager hands it over; both are told. */
export function registerReassignCommand(app: App, deps: Pick<ListenerDeps, 'logger' | 'settings' | 'lifecycle' | 'uow'>): void {
  registerCommand(app, COMMANDS.reassign, { logger: deps.logger, people: deps.settings }, async ({ userId, text }) => {
    const parsed = parseReassignArgs(text);
    if (!parsed.ok) return { text: `${parsed.error}\n${usage}` };
    const args = parsed.value;
    if (args.kind === 'help') return { text: usage };
    if (!(await deps.uow.read((tx) => tx.leads.getState(args.leadId)))) return { text: `There is no lead ${leadRef(args.leadId)}. Nothing changed.` };
    const settings = deps.settings();
    const result = await deps.lifecycle.reassign(args.leadId, { by: userId, byManager: isManager(settings, userId), repId: args.to, repKnown: isRep(settings, args.to), reason: args.reason });
    if (!result.ok) return { text: staleClickReply(result, userId) };
    return { text: `${leadRef(args.leadId)} now belongs to ${mention(args.to)}; they have been told${args.reason ? ` (reason: ${args.reason})` : ''}.` };
  });
}
