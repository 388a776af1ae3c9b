/**
 * The routing configs of the bench ("spread over 400 reps"): 400 reps, no working hours or caps (so
 * nobody is ineligible), weighted round-robin, escalations to a channel, in one of two layouts:
 * - `teams` (10-rep pools): 40 teams of 10, one rule per team on `fields.team_no`; leads carry
 *   `fields.team_no = i % 40`, so consecutive leads go to consecutive teams and each decision looks
 *   at a pool of 10;
 * - `pool` (one 400-rep pool): every lead goes to one team of all 400 reps.
 * Either way each rep gets one lead in 400: at 200 leads/s a rep's DM sees a card every 2 s, below
 * Slack's ~1 message/s per channel, so pacing never binds. Comparing the two says whether the cost
 * of a lead grows with the size of the team that serves it.
 */
export const REP_COUNT = 400;
export const TEAM_COUNT = 40;
export const MANAGER_ID = 'U0MGR';
export const ESCALATION_CHANNEL = 'C0BENCHESC';

export const repId = (i: number) => `U0R${String(i).padStart(4, '0')}`;

/** Every Slack user the stand-in must know: the reps and the manager. */
export const benchUsers = (): string[] => [...Array.from({ length: REP_COUNT }, (_, i) => repId(i)), MANAGER_ID];

/** `teams`: 40 teams of 10 reps (each lead decided in a pool of 10); `pool`: one team of all 400. */
export type PoolLayout = 'teams' | 'pool';

export function benchConfigYaml(claimWithin = '10m', layout: PoolLayout = 'teams'): string {
  const reps = Array.from({ length: REP_COUNT }, (_, i) => `  - { id: ${repId(i)}, name: Rep ${i} }`).join('\n');
  const teamCount = layout === 'teams' ? TEAM_COUNT : 1;
  const perTeam = REP_COUNT / teamCount;
  const teams = Array.from({ length: teamCount }, (_, t) => {
    const members = Array.from({ length: perTeam }, (_, k) => repId(t * perTeam + k)).join(', ');
    return `  - { id: t${t}, manager: ${MANAGER_ID}, members: [${members}] }`;
  }).join('\n');
  const rules =
    layout === 'teams'
      ? Array.from({ length: TEAM_COUNT }, (_, t) => `  - { name: Team ${t}, when: { fields.team_no: ${t} }, route: { team: t${t} } }`).join('\n')
      : '  - { name: Everyone, route: { team: t0 } }';
  return `timezone: UTC
sla: { claim_within: ${claimWithin}, max_offers: 3 }
escalation: { channel: ${ESCALATION_CHANNEL} }
managers: [${MANAGER_ID}]
reps:
${reps}
teams:
${teams}
rules:
${rules}
fallback: { team: t0 }
`;
}

/** The body of bench lead `i` (unique e-mail and external id per run, so no lead is a duplicate). */
export function benchLead(run: string, i: number): string {
  return JSON.stringify({
    external_id: `bench-${run}-${i}`,
    source: 'form',
    email: `lead${i}-${run}@company${i % 997}.example`,
    name: `Lead ${i}`,
    title: 'VP Sales',
    company: { name: `Company ${i % 997}`, employees: (i * 37) % 5000, country: 'US' },
    score: i % 101,
    message: 'We need 300 seats by Q3',
    fields: { team_no: i % TEAM_COUNT },
  });
}
