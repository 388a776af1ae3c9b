import type { App } from '@slack/bolt';
import type { PeopleDirectory } from '../../../domain/people.ts';
import type { Logger } from '../../logger.ts';
import { COMMANDS } from '../slackIds.ts';
import { COMMAND_USAGE } from './commandUsage.ts';
import { registerCommand } from './registerCommand.ts';

/**
 * `/away`, `/reassign` and `/owner` are declared in the manifest but come with a later version: they
 * answer `help` and say plainly that they are not available yet, so a user never meets a dead command.
 */
export function registerPendingCommands(app: App, deps: { logger: Logger; people: () => PeopleDirectory }): void {
  for (const command of [COMMANDS.away, COMMANDS.reassign, COMMANDS.owner]) {
    registerCommand(app, command, deps, ({ text }) =>
      text.toLowerCase() === 'help'
        ? { text: COMMAND_USAGE[command] }
        : { text: `\`${command}\` is not available in this version of leadrelay yet. ${COMMAND_USAGE[command]}` },
    );
  }
}
