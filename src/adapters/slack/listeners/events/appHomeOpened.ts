import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../index.ts';

/** `app_home_opened` (tab `home`): the user's Home is published, and kept current from then on. */
export function registerAppHomeOpened(app: App, deps: Pick<ListenerDeps, 'home'>): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await deps.home.opened(client, event.user);
  });
}
