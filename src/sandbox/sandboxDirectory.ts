/**
 * The sandbox's workspace, derived from the config: every rep and manager becomes a member of the
 * stand-in workspace (name, email, time zone as configured), and the escalation and sequence channels
 * exist up front. Pure.
 */
import type { Config } from '../config/schema.ts';
import { isManager } from '../domain/people.ts';
import type { SandboxDirectory } from './sandboxView.ts';
import { standInUser, type StandInUserInput } from './slackWorkspace.ts';

export interface SandboxWorkspaceSeed extends SandboxDirectory {
  users: StandInUserInput[];
}

/** `Alice Example` → `alice`; without a name, the stand-in's handle for the id (`U0MGR` → `mgr`). */
function handleFor(id: string, name: string | undefined, email: string | undefined): string {
  const fromEmail = email?.split('@')[0];
  if (fromEmail) return fromEmail.toLowerCase();
  const fromName = name?.split(/\s+/)[0]?.toLowerCase().replace(/[^a-z0-9._-]/g, '');
  return fromName || standInUser(id).name;
}

export function sandboxWorkspace(config: Config): SandboxWorkspaceSeed {
  const users: StandInUserInput[] = [];
  const people: SandboxDirectory['people'] = [];
  const add = (id: string, name: string | undefined, email: string | undefined, tz: string, role: string) => {
    const derived = standInUser(id);
    const realName = name ?? derived.realName;
    users.push({ id, name: handleFor(id, name, email), realName, displayName: realName, tz, ...(email !== undefined ? { email } : {}) });
    people.push({ id, name: realName, role, tz });
  };
  for (const rep of config.reps) {
    const teams = config.teams.filter((team) => team.members.includes(rep.id)).map((team) => team.id);
    const manager = isManager(config, rep.id) ? ' · manager' : '';
    add(rep.id, rep.name, rep.email, rep.timezone ?? config.timezone, `rep${teams.length > 0 ? ` · ${teams.join(', ')}` : ''}${manager}`);
  }
  const managerIds = [...config.managers, ...config.teams.flatMap((team) => (team.manager === undefined ? [] : [team.manager]))];
  for (const id of new Set(managerIds)) {
    if (config.reps.some((rep) => rep.id === id)) continue;
    add(id, undefined, undefined, config.timezone, 'manager');
  }
  const channels: SandboxDirectory['channels'] = [];
  if (config.escalation?.channel !== undefined) channels.push({ id: config.escalation.channel, name: 'lead-escalations', purpose: 'escalations' });
  for (const sequence of config.sequences) {
    if (sequence.channel === undefined || channels.some((c) => c.id === sequence.channel)) continue;
    channels.push({ id: sequence.channel, name: `${sequence.id}-leads`, purpose: `${sequence.id} sequence` });
  }
  return { users, people, channels };
}

/**
 * The sandbox runs the example config with a short SLA, so a newcomer sees an offer expire and
 * escalate within minutes: `claim_within` becomes at most `maxClaimWithinMs` (the reminder keeps its
 * share of the window).
 */
export function withShortSla(config: Config, maxClaimWithinMs: number): Config {
  if (config.sla.claimWithin <= maxClaimWithinMs) return config;
  return { ...config, sla: { ...config.sla, claimWithin: maxClaimWithinMs } };
}
