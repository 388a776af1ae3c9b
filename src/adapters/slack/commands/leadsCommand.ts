import type { App } from '@slack/bolt';
import { leadRef, parseLeadRef } from '../../../domain/lead.ts';
import type { PeopleDirectory } from '../../../domain/people.ts';
import type { Logger } from '../../logger.ts';
import type { SqliteLeadStore } from '../../sqlite/sqliteLeadStore.ts';
import { COMMANDS } from '../slackIds.ts';
import { renderLeadDetails } from '../renderLeadDetails.ts';
import { COMMAND_USAGE } from './commandUsage.ts';
import { registerCommand, type CommandReply } from './registerCommand.ts';

const usage = COMMAND_USAGE[COMMANDS.leads];

/** `/leads …` (SPEC 7). This version answers `help` and `/leads L-17`. */
export function registerLeadsCommand(app: App, deps: { logger: Logger; people: () => PeopleDirectory; leads: SqliteLeadStore }): void {
  registerCommand(app, COMMANDS.leads, deps, ({ text }): CommandReply => {
    const [first = '', ...rest] = text.split(/\s+/).filter(Boolean);
    if (first === '' || first.toLowerCase() === 'help') return { text: usage };
    const id = parseLeadRef(first);
    if (id !== null && rest.length === 0) {
      const stored = deps.leads.getLead(id);
      if (!stored) return { text: `There is no lead ${leadRef(id)}. ${usage}` };
      return renderLeadDetails(stored, deps.leads.history(id));
    }
    if (['done', 'team', 'stats'].includes(first.toLowerCase())) {
      return { text: `\`/leads ${first.toLowerCase()}\` is not available in this version of leadrelay yet.` };
    }
    return { text: `I don't understand \`${first}\`. ${usage}` };
  });
}
