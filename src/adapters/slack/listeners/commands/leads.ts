import type { App } from '@slack/bolt';
import { parseLeadsArgs } from '../../../../domain/commands/parseCommandArgs.ts';
import { leadRef } from '../../../../domain/lead.ts';
import { isManager, isRep } from '../../../../domain/people.ts';
import { renderLeadDetails } from '../../renderLeadDetails.ts';
import { renderMyLeads } from '../../renderMyLeads.ts';
import { renderStats } from '../../renderStats.ts';
import { renderTeamBoard } from '../../renderTeamBoard.ts';
import { COMMANDS } from '../../slackIds.ts';
import { staleClickReply } from '../../staleClickReply.ts';
import type { ListenerDeps } from '../index.ts';
import { COMMAND_USAGE } from './commandUsage.ts';
import { registerCommand, type CommandReply } from './registerCommand.ts';

const usage = COMMAND_USAGE[COMMANDS.leads];

/** `/leads …`: my offers and open leads, a lead's details, done, the team board, stats. */
export function registerLeadsCommand(app: App, deps: Pick<ListenerDeps, 'logger' | 'settings' | 'uow' | 'views' | 'lifecycle' | 'clock' | 'home'>): void {
  registerCommand(app, COMMANDS.leads, { logger: deps.logger, people: deps.settings }, async ({ userId, text }): Promise<CommandReply> => {
    const parsed = parseLeadsArgs(text);
    if (!parsed.ok) return { text: `${parsed.error}\n${usage}` };
    const args = parsed.value;
    const settings = deps.settings();
    const now = deps.clock.now();
    switch (args.kind) {
      case 'help':
        return { text: usage };
      case 'mine':
        return isRep(settings, userId) ? renderMyLeads(await deps.views.myLeads(userId), now) : { text: `You're not a rep, so no leads are offered to you. Managers: try \`/leads team\`.` };
      case 'show': {
        const leadId = args.leadId;
        const details = await deps.uow.read(async (tx) => {
          const stored = await tx.leads.get(leadId);
          return stored ? { stored, history: await tx.leads.history(leadId), trace: await tx.leads.trace(leadId), signals: await tx.signals.recentOfLead(leadId, 10) } : null;
        });
        if (!details) return { text: `There is no lead ${leadRef(leadId)}.` };
        return renderLeadDetails(details.stored, details.history, details.trace, details.signals);
      }
      case 'done': {
        const leadId = args.leadId;
        if (!(await deps.uow.read((tx) => tx.leads.getState(leadId)))) return { text: `There is no lead ${leadRef(leadId)}. Nothing changed.` };
        const result = await deps.lifecycle.done(leadId, userId, isManager(settings, userId));
        if (!result.ok) return { text: staleClickReply(result, userId) };
        deps.home.touched(userId);
        return { text: `✅ ${leadRef(leadId)} is done. Your capacity is freed for the next lead.` };
      }
      case 'team':
        return isManager(settings, userId) ? renderTeamBoard(await deps.views.teamBoard(settings, now, userId), now) : { text: 'Only managers can see the team board. Nothing changed.' };
      case 'stats':
        return renderStats(await deps.views.repStats(settings, now), now);
    }
  });
}
