import type { App } from '@slack/bolt';
import { parseAway } from '../../../../domain/commands/parseAway.ts';
import { isManager, isRep } from '../../../../domain/people.ts';
import { isValidTimeZone } from '../../../../domain/zonedTime.ts';
import { mention, slackDate } from '../../slackFormat.ts';
import { COMMANDS } from '../../slackIds.ts';
import { createUserTimeZones } from '../../userTimeZones.ts';
import type { ListenerDeps } from '../index.ts';
import { COMMAND_USAGE } from './commandUsage.ts';
import { registerCommand } from './registerCommand.ts';

const usage = COMMAND_USAGE[COMMANDS.away];

function movedWords(moved: number): string {
  return moved === 0 ? '' : ` ${moved} pending offer${moved === 1 ? '' : 's'} moved on to the next rep.`;
}

/** `/away`: toggle, a duration, `until …` in the user's time zone, `off`; managers may name a rep. */
export function registerAwayCommand(app: App, deps: Pick<ListenerDeps, 'logger' | 'settings' | 'availability' | 'clock' | 'home'>): void {
  const timeZoneOf = createUserTimeZones(() => deps.clock.now());
  registerCommand(app, COMMANDS.away, { logger: deps.logger, people: deps.settings }, async ({ userId, text }, { client }) => {
    const config = deps.settings();
    const caller = config.reps.find((rep) => rep.id === userId);
    const fallbackZone = caller?.timezone ?? config.timezone;
    const zone = await timeZoneOf(client, userId, fallbackZone);
    const parsed = parseAway(text, { now: deps.clock.now(), timeZone: isValidTimeZone(zone) ? zone : fallbackZone });
    if ('error' in parsed) return { text: `${parsed.error}\n${usage}` };
    if (parsed.kind === 'help') return { text: usage };

    const target = parsed.target ?? userId;
    const self = target === userId;
    if (!self && !isManager(config, userId)) return { text: `Only a manager can change someone else's availability. Nothing changed.` };
    if (!isRep(config, target)) {
      return { text: self ? `You're not a rep in leadrelay.yml, so you're never in rotation.` : `${mention(target)} is not a rep in leadrelay.yml. Nothing changed.` };
    }
    const who = self ? "You're" : `${mention(target)} is`;
    const current = await deps.availability.state(target);
    const goBack = parsed.kind === 'off' || (parsed.kind === 'toggle' && current.away);
    if (goBack) {
      if (!current.away) return { text: `${self ? "You're" : `${mention(target)} is`} not away: already in rotation.` };
      await deps.availability.setBack(target, userId);
      deps.home.touched(target);
      return { text: `${who} back in rotation.` };
    }
    const until = parsed.kind === 'away' ? parsed.until : null;
    const moved = await deps.availability.setAway(target, until, userId);
    deps.home.touched(target);
    const untilWords = until === null ? `until ${self ? 'you turn it off with `/away off`' : 'turned off with `/away @rep off`'}` : `until ${slackDate(until)}, then back in rotation automatically`;
    return { text: `${who} away ${untilWords}.${movedWords(moved)}` };
  });
}
