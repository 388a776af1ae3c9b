import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../../logger.ts';
import { isKnownPerson, type PeopleDirectory } from '../../../../domain/people.ts';

export interface CommandReply {
  text: string;
  blocks?: unknown[];
}

export interface CommandContext {
  userId: string;
  /** The text after the command, trimmed. */
  text: string;
}

/**
 * Registers a slash command whose handler computes an ephemeral reply. Every command refuses people
 * leadrelay does not know, and an exception becomes an apology to the user and a log line, never a
 * silent failure in Slack.
 */
export function registerCommand(
  app: App,
  command: string,
  deps: { logger: Logger; people: () => PeopleDirectory },
  handler: (context: CommandContext, slack: { client: WebClient }) => CommandReply | Promise<CommandReply>,
): void {
  app.command(command, async ({ command: payload, ack, client }) => {
    const context = { userId: payload.user_id, text: payload.text.trim() };
    let reply: CommandReply;
    try {
      reply = isKnownPerson(deps.people(), context.userId)
        ? await handler(context, { client })
        : { text: `You're not set up in leadrelay yet: ask your sales-ops admin to add you to leadrelay.yml as a rep or manager.` };
    } catch (error) {
      deps.logger.error({ err: error, command }, 'slash command failed');
      reply = { text: `Sorry, \`${command}\` failed on our side; nothing was changed. Please try again.` };
    }
    await ack({ response_type: 'ephemeral', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks as never } : {}) });
  });
}
