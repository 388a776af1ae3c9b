import { readFileSync } from 'node:fs';
import { App } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import type { Env } from '../../src/config/env.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { createLogger } from '../../src/adapters/logger.ts';
import { openDatabase } from '../../src/adapters/sqlite/openDatabase.ts';
import { sqliteBackend } from '../../src/adapters/sqlite/sqliteBackend.ts';
import { ACTIONS, COMMANDS } from '../../src/adapters/slack/slackIds.ts';
import { startLeadrelay, type RunningLeadrelay } from '../../src/leadrelay.ts';
import { FakeClock } from '../support/fakeClock.ts';
import { startSlackStandIn, type SlackStandIn } from '../../src/sandbox/slackStandIn.ts';

interface Manifest {
  features: { slash_commands: { command: string; should_escape: boolean }[]; app_home: { home_tab_enabled: boolean } };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[] }; interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean };
}

const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')) as Manifest;

const registered = { commands: [] as string[], actions: [] as string[], events: [] as string[] };
let slack: SlackStandIn;
let bot: RunningLeadrelay;

beforeAll(async () => {
  // Record what the real app registers, as Bolt sees it.
  const command = App.prototype.command;
  const action = App.prototype.action;
  const event = App.prototype.event;
  vi.spyOn(App.prototype, 'command').mockImplementation(function (this: App, ...args: Parameters<App['command']>) {
    registered.commands.push(String(args[0]));
    return command.apply(this, args);
  });
  vi.spyOn(App.prototype, 'action').mockImplementation(function (this: App, ...args: Parameters<App['action']>) {
    registered.actions.push(String(args[0]));
    return action.apply(this, args as never);
  } as never);
  vi.spyOn(App.prototype, 'event').mockImplementation(function (this: App, ...args: Parameters<App['event']>) {
    registered.events.push(String(args[0]));
    return event.apply(this, args as never);
  } as never);
  slack = await startSlackStandIn({ signingSecret: 's', users: ['U0ALICE'], socketMode: false });
  const loaded = loadConfig(new URL('../../leadrelay.example.yml', import.meta.url).pathname);
  if (!loaded.ok) throw new Error('example config invalid');
  const env: Env = { mode: 'http', botToken: slack.botToken, signingSecret: 's', appToken: undefined, slackApiUrl: slack.apiUrl, port: 0, configPath: 'x', dbPath: ':memory:', webhookSecret: 'w', logLevel: 'silent' };
  const sourceSecrets = Object.fromEntries(loaded.config.sources.map((source) => [source.id, 'source-secret']));
  bot = await startLeadrelay({ env, config: loaded.config, backend: sqliteBackend(openDatabase(':memory:')), clock: new FakeClock(), logger: createLogger('silent'), timers: false, sourceSecrets });
  slack.setRequestUrl(`http://127.0.0.1:${bot.port}/slack/events`);
  vi.restoreAllMocks();
});

afterAll(async () => {
  await bot.stop();
  await slack.close();
});

describe('manifest.yml', () => {
  it('declares exactly the slash commands the app listens to, each with should_escape: true', () => {
    const declared = manifest.features.slash_commands.map((c) => c.command).sort();
    expect(declared).toEqual(Object.values(COMMANDS).sort());
    expect([...new Set(registered.commands)].sort()).toEqual(declared);
    expect(manifest.features.slash_commands.every((c) => c.should_escape === true)).toBe(true);
  });

  it('has a listener for every action id and no listener for an undeclared one', () => {
    expect([...new Set(registered.actions)].sort()).toEqual(Object.values(ACTIONS).sort());
  });

  it('subscribes to every event the app listens to', () => {
    for (const event of registered.events) expect(manifest.settings.event_subscriptions.bot_events).toContain(event);
  });

  it('enables interactivity, the home tab and Socket Mode, with the scopes the bot uses', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['chat:write', 'commands', 'im:write', 'im:history', 'users:read']));
  });

  it('answers help on every declared command', async () => {
    for (const { command } of manifest.features.slash_commands) {
      const reply = await slack.slashCommand({ command, text: 'help', userId: 'U0ALICE' });
      expect((reply.body as { text: string }).text).toMatch(/^Usage: /);
    }
  });
});
