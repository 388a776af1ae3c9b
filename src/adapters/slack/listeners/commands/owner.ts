import type { App } from '@slack/bolt';
import { parseOwnerArgs } from '../../../../domain/commands/parseCommandArgs.ts';
import { isManager, isRep } from '../../../../domain/people.ts';
import { mention, slackDate } from '../../slackFormat.ts';
import { COMMANDS } from '../../slackIds.ts';
import type { ListenerDeps } from '../index.ts';
import { COMMAND_USAGE } from './commandUsage.ts';
import { registerCommand } from './registerCommand.ts';

const usage = COMMAND_USAGE[COMMANDS.owner];

/** `/owner acme.com [@rep|none]`: anyone may look; only managers change it. */
export function registerOwnerCommand(app: App, deps: Pick<ListenerDeps, 'logger' | 'settings' | 'accountOwners'>): void {
  registerCommand(app, COMMANDS.owner, { logger: deps.logger, people: deps.settings }, async ({ userId, text }) => {
    const parsed = parseOwnerArgs(text);
    if (!parsed.ok) return { text: `${parsed.error}\n${usage}` };
    const args = parsed.value;
    if (args.kind === 'help') return { text: usage };
    if (args.kind === 'show') {
      const current = await deps.accountOwners.get(args.domain);
      switch (current.source) {
        case 'runtime':
          return { text: `${args.domain} is owned by ${mention(current.owner as string)} (set by ${mention(current.setBy as string)} on ${slackDate(current.setAt as number)}).` };
        case 'config':
          return { text: `${args.domain} is owned by ${mention(current.owner as string)} (from leadrelay.yml).` };
        case 'cleared':
          return { text: `${args.domain} has no owner: cleared by ${mention(current.setBy as string)}, so leads from it are routed by the other rules.` };
        case 'none':
          return { text: `${args.domain} has no owner: leads from it are routed by the other rules.` };
      }
    }
    const config = deps.settings();
    if (!isManager(config, userId)) return { text: `Only a manager can change an account's owner. Nothing changed.` };
    if (args.kind === 'clear') {
      await deps.accountOwners.set(args.domain, null, userId);
      return { text: `${args.domain} has no owner now; the next lead from it is routed by the other rules.` };
    }
    if (!isRep(config, args.owner)) return { text: `${mention(args.owner)} is not a rep in leadrelay.yml. Nothing changed.` };
    await deps.accountOwners.set(args.domain, args.owner, userId);
    return { text: `${args.domain} is now owned by ${mention(args.owner)}: the next lead from it goes to them.` };
  });
}
