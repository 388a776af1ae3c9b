/** Who is who in the config: the one place that answers "is this user a manager / a rep?". Pure. */

export interface PeopleDirectory {
  managers: readonly string[];
  reps: readonly { id: string; name?: string | undefined }[];
  teams: readonly { id: string; manager?: string | undefined; members: readonly string[] }[];
}

/** Managers listed at the top level may manage everything; a team's manager manages that team. */
export function isManager(people: PeopleDirectory, userId: string): boolean {
  return people.managers.includes(userId) || people.teams.some((team) => team.manager === userId);
}

export function isRep(people: PeopleDirectory, userId: string): boolean {
  return people.reps.some((rep) => rep.id === userId);
}

/** Anyone leadrelay knows: reps and managers. Everyone else in the workspace is refused politely. */
export function isKnownPerson(people: PeopleDirectory, userId: string): boolean {
  return isRep(people, userId) || isManager(people, userId);
}

/** Where an escalation about a lead goes: the escalation channel, else a manager by DM. */
export type EscalationTarget = { kind: 'channel'; channelId: string } | { kind: 'manager'; userId: string; teamId: string | null };

/**
 * Where the escalation of a lead last handled by `teamId` goes: `escalation.channel` when set, else
 * that team's manager, else the first team's manager, else the first top-level manager; null when
 * the config names nobody. The one place that decides it, for the message and for the trace.
 */
export function escalationTarget(
  config: PeopleDirectory & { escalation?: { channel?: string | undefined } | undefined },
  teamId: string | null,
): EscalationTarget | null {
  const channel = config.escalation?.channel;
  if (channel !== undefined) return { kind: 'channel', channelId: channel };
  const own = config.teams.find((team) => team.id === teamId)?.manager;
  if (own !== undefined) return { kind: 'manager', userId: own, teamId };
  const other = config.teams.find((team) => team.manager !== undefined);
  if (other?.manager !== undefined) return { kind: 'manager', userId: other.manager, teamId: other.id };
  const top = config.managers[0];
  return top === undefined ? null : { kind: 'manager', userId: top, teamId: null };
}

/** `channel C0SALESMGR`, `U0MGR (manager of team sdr)`: where an escalation goes, in words. */
export function escalationTargetWords(target: EscalationTarget | null): string {
  if (target === null) return 'nobody (the config names no escalation channel or manager)';
  if (target.kind === 'channel') return `the escalation channel ${target.channelId}`;
  return target.teamId === null ? `${target.userId} (a manager) by DM` : `${target.userId} (manager of team ${target.teamId}) by DM`;
}
