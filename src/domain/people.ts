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
