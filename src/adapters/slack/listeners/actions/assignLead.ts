import type { App, BlockAction, UsersSelectAction } from '@slack/bolt';
import { isManager, isRep } from '../../../../domain/people.ts';
import { parseAssignBlockId } from '../../cardValues.ts';
import { ACTIONS } from '../../slackIds.ts';
import type { ListenerDeps } from '../index.ts';
import { answerClick, unknownClick } from './answerClick.ts';

/** `assign_lead`: a manager picks a rep in an escalation's users_select; that rep owns the lead and is DMed. */
export function registerAssignLead(app: App, deps: Pick<ListenerDeps, 'lifecycle' | 'settings' | 'logger' | 'home'>): void {
  app.action<BlockAction<UsersSelectAction>>(ACTIONS.assignLead, async ({ ack, action, body, respond }) => {
    const userId = body.user.id;
    const lead = parseAssignBlockId(action.block_id);
    const repId = action.selected_user;
    await answerClick(body, ack, respond, { logger: deps.logger, touched: deps.home.touched }, async (click) => {
      if (!lead) return unknownClick;
      const people = deps.settings();
      return deps.lifecycle.onEscalation(lead.leadId, { type: 'assign', leadVersion: lead.version, by: userId, byManager: isManager(people, userId), repId, repKnown: isRep(people, repId) }, click);
    });
  });
}
