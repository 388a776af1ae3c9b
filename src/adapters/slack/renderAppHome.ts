/**
 * The App Home tab: the availability toggle, the reader's pending offers with Claim, open
 * leads with Done and stats over 7/30 days; managers also get the team board. Built from the same
 * section functions as `/leads`, `/leads stats` and `/leads team`, so both show a lead the same way.
 * Pure: `now` is a parameter; published with views.publish.
 */
import type { AppHomeModel, AwayStatus, HomeRepModel } from '../../app/readModels.ts';
import { dividerBlock, headerBlock, sectionBlock, buttonElement, type Block } from './renderBlocks.ts';
import { openLeadsBlocks, pendingOffersBlocks } from './renderMyLeads.ts';
import { statsLines } from './renderStats.ts';
import { teamBoardBlocks, TEAM_BOARD_MIN_BLOCKS } from './renderTeamBoard.ts';
import { ACTIONS, TOGGLE_AWAY_VALUES } from './slackIds.ts';
import { slackDate } from './slackFormat.ts';

export type { AppHomeModel, AwayStatus, HomeRepModel };

/** A Home tab view for views.publish. */
export interface HomeView {
  type: 'home';
  blocks: Block[];
}

/** Slack's limit on blocks in a Home view. */
export const HOME_MAX_BLOCKS = 100;

/** What the `toggle_away` button asks for: go away (no return time), or come back. */
export type ToggleAwayValue = (typeof TOGGLE_AWAY_VALUES)[keyof typeof TOGGLE_AWAY_VALUES];

/** Offers and open leads listed on the Home tab before "… and N more". */
const HOME_MAX_OFFERS = 10;
const HOME_MAX_OPEN_LEADS = 15;

/** Whether the rep is available, and the button that flips it: "Go away" (value `away`) or "I'm back" (value `back`). */
export function availabilityBlock(rep: { away: AwayStatus | null; outsideHours: boolean }): Block {
  if (rep.away) {
    const until = rep.away.until === null ? 'until you turn it off' : `until ${slackDate(rep.away.until)}`;
    return {
      ...sectionBlock(`🏖️ *You're away* ${until}. No new leads are offered to you meanwhile.`),
      accessory: buttonElement({ actionId: ACTIONS.toggleAway, text: "I'm back", value: TOGGLE_AWAY_VALUES.back, style: 'primary' }),
    };
  }
  const hours = rep.outsideHours ? '\n🌙 Outside your working hours now: new leads wait until your day starts.' : '';
  return {
    ...sectionBlock(`🟢 *You're available* for new leads.${hours}`),
    accessory: buttonElement({ actionId: ACTIONS.toggleAway, text: 'Go away', value: TOGGLE_AWAY_VALUES.away }),
  };
}

/** The reader's own part: availability, offers, open leads and stats; at most 45 blocks. */
function repBlocks(rep: HomeRepModel, now: number): Block[] {
  return [
    availabilityBlock(rep),
    dividerBlock(),
    ...pendingOffersBlocks(rep.pendingOffers, now, HOME_MAX_OFFERS),
    dividerBlock(),
    ...openLeadsBlocks(rep.openLeads, now, HOME_MAX_OPEN_LEADS),
    dividerBlock(),
    sectionBlock(`*Your stats*\n${statsLines(rep.stats)}`),
  ];
}

/** The Home tab of `model.userId` at `now`: at most 100 blocks. */
export function renderAppHome(model: AppHomeModel, now: number): HomeView {
  const blocks: Block[] = [headerBlock('leadrelay')];
  if (model.rep) blocks.push(...repBlocks(model.rep, now));
  if (model.teamBoard) {
    if (model.rep) blocks.push(dividerBlock());
    blocks.push(headerBlock('Team board'));
    blocks.push(...teamBoardBlocks(model.teamBoard, now, Math.max(TEAM_BOARD_MIN_BLOCKS, HOME_MAX_BLOCKS - blocks.length)));
  }
  if (!model.rep && !model.teamBoard) {
    blocks.push(sectionBlock("You're not set up in leadrelay yet. Ask whoever runs it to add you to `leadrelay.yml` as a rep or a manager."));
  }
  return { type: 'home', blocks };
}
