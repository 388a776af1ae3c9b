import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatConfigErrors, loadConfig, parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';

const EXAMPLE = fileURLToPath(new URL('../../leadrelay.example.yml', import.meta.url));

/** The smallest valid config; tests append sections to it or start from their own text. */
const BASE = `reps:
  - id: U0ALICE
  - id: U0BOB
teams:
  - id: sales
    manager: U0ALICE
    members: [U0ALICE, U0BOB]
fallback: { team: sales }
`;

function configOf(yaml: string): Config {
  const result = parseConfig(yaml, 'leadrelay.yml');
  if (!result.ok) throw new Error(formatConfigErrors('leadrelay.yml', result.errors));
  return result.config;
}

/** The formatted error lines, as `leadrelay check` prints them. */
function errorsOf(yaml: string): string[] {
  const result = parseConfig(yaml, 'leadrelay.yml');
  if (result.ok) throw new Error('the config was accepted');
  return formatConfigErrors('leadrelay.yml', result.errors).split('\n');
}

/** The one error of a config, as `path: message` without the file and line. */
function errorOf(yaml: string): string {
  const lines = errorsOf(yaml);
  expect(lines).toHaveLength(1);
  return (lines[0] ?? '').replace(/^leadrelay\.yml(:\d+)? /, '');
}

describe('parseConfig: the example', () => {
  it('accepts leadrelay.example.yml', () => {
    const result = loadConfig(EXAMPLE);
    expect(result.ok ? result.config.reps.map((rep) => rep.id) : result.errors).toEqual([
      'U0ALICE', 'U0BOB', 'U0CAROL', 'U0DAN', 'U0ERIN', 'U0FRANK',
    ]);
  });
});

describe('parseConfig: values', () => {
  it('fills in the defaults', () => {
    const config = configOf(BASE);
    expect(config.timezone).toBe('UTC');
    expect(config.sla).toEqual({ claimWithin: 5 * 60_000, maxOffers: 3, remindAt: undefined });
    expect(config.dedupe).toEqual({ window: 30 * 24 * 3_600_000 });
    expect(config.reps[0]?.weight).toBe(1);
    expect(config.teams[0]?.distribution).toBe('round_robin');
    expect(config).toMatchObject({ managers: [], accounts: [], sequences: [], rules: [], signals: [], webhooks: [] });
    expect(config.escalation).toBeUndefined();
    expect(config.enrichment).toBeUndefined();
  });

  it('turns durations into milliseconds', () => {
    const config = configOf(`${BASE}sla:\n  claim_within: 1h30m\ndedupe:\n  window: 2w\n`);
    expect(config.sla.claimWithin).toBe(90 * 60_000);
    expect(config.dedupe.window).toBe(14 * 24 * 3_600_000);
  });

  it('turns a remind_at percentage into a fraction of the claim window', () => {
    expect(configOf(`${BASE}sla: { remind_at: 50% }\n`).sla.remindAt).toBe(0.5);
  });

  it('turns a remind_at duration into the same fraction', () => {
    expect(configOf(`${BASE}sla: { claim_within: 5m, remind_at: 2m }\n`).sla.remindAt).toBe(0.4);
  });

  it('parses working hours', () => {
    const config = configOf(BASE.replace('  - id: U0BOB\n', '  - id: U0BOB\n    hours: "Sat 10:00-14:00"\n'));
    expect(config.reps[1]?.hours).toEqual({ ranges: [{ day: 6, startMinute: 600, endMinute: 840 }] });
  });

  it('gives reps without a time zone the config\'s time zone', () => {
    const config = configOf(`timezone: America/New_York\n${BASE.replace('  - id: U0BOB\n', '  - id: U0BOB\n    timezone: Asia/Tokyo\n')}`);
    expect(config.reps.map((rep) => rep.timezone)).toEqual(['America/New_York', 'Asia/Tokyo']);
  });

  it('lower-cases account domains', () => {
    expect(configOf(`${BASE}accounts:\n  - { domain: Acme.COM, owner: U0ALICE }\n`).accounts[0]?.domain).toBe('acme.com');
  });

  it('turns a plain value in a condition into an eq test', () => {
    const config = configOf(`${BASE}rules:\n  - { name: Forms, when: { source: form, fields.vip: true }, route: { team: sales } }\n`);
    expect(config.rules[0]?.when).toEqual({ source: { eq: 'form' }, 'fields.vip': { eq: true } });
  });

  it('keeps operators and nested any conditions', () => {
    const config = configOf(`${BASE}rules:
  - name: Big or hot
    when:
      company.country: { in: [DE, FR] }
      any:
        - { company.employees: { gte: 1000 } }
        - { score: { gt: 80 }, email: { exists: true } }
    route: { team: sales }
`);
    expect(config.rules[0]?.when).toEqual({
      'company.country': { in: ['DE', 'FR'] },
      any: [{ 'company.employees': { gte: 1000 } }, { score: { gt: 80 }, email: { exists: true } }],
    });
  });

  it('compiles matches into a case-insensitive regular expression', () => {
    const config = configOf(`${BASE}rules:\n  - { name: VPs, when: { title: { matches: "^vp\\\\b" } }, route: { team: sales } }\n`);
    const pattern = config.rules[0]?.when?.title?.matches;
    expect(pattern?.test('VP Sales')).toBe(true);
    expect(pattern?.test('Sales VP')).toBe(false);
  });

  it('reads every kind of route', () => {
    const config = configOf(`${BASE}sequences:\n  - { id: nurture }\nrules:
  - { name: Owner, route: account_owner }
  - { name: Team, route: { team: sales } }
  - { name: Rep, route: { rep: U0BOB } }
  - { name: Sequence, route: { sequence: nurture } }
`);
    expect(config.rules.map((rule) => rule.route)).toEqual(['account_owner', { team: 'sales' }, { rep: 'U0BOB' }, { sequence: 'nurture' }]);
  });

  it('reads signal rules, with a single kind as a one-item list', () => {
    const config = configOf(`${BASE}signals:
  - name: Engaged
    when: { kind: profile_view, channel: { in: [linkedin, web] }, count: { gte: 3 }, within: 48h }
    route: { team: sales }
`);
    expect(config.signals[0]?.when).toEqual({
      kind: { in: ['profile_view'] },
      channel: { in: ['linkedin', 'web'] },
      count: { gte: 3 },
      within: 48 * 3_600_000,
    });
  });

  it('reads enrichment and webhooks, with their defaults', () => {
    const config = configOf(`${BASE}enrichment:\n  companies: ./companies.csv\nwebhooks:\n  - url: https://crm.example.com/hook\n`);
    expect(config.enrichment).toEqual({ companies: './companies.csv', timeout: 2_000 });
    expect(config.webhooks[0]?.events).toEqual(['lead.claimed', 'lead.assigned', 'lead.reassigned', 'lead.escalated', 'lead.done']);
  });
});

describe('parseConfig: errors', () => {
  it('names the path of a wrong operator type in the second rule', () => {
    const lines = errorsOf(`${BASE}rules:
  - name: Cold
    when: { score: { lt: 30 } }
    route: { team: sales }
  - name: Hot
    when: { score: { gte: "high" } }
    route: { team: sales }
`);
    expect(lines).toEqual(['leadrelay.yml:14 rules[1].when.score.gte: expected number, got string']);
  });

  it('keeps dotted lead paths as one key in error paths', () => {
    expect(errorOf(`${BASE}rules:\n  - { name: Big, when: { company.employees: { gte: "x" } }, route: { team: sales } }\n`)).toBe(
      'rules[0].when.company.employees.gte: expected number, got string',
    );
  });

  it('names an unknown lead field and suggests the closest one', () => {
    expect(errorOf(`${BASE}rules:\n  - { name: Big, when: { company.employes: { gte: 1000 } }, route: { team: sales } }\n`)).toBe(
      'rules[0].when.company.employes: unknown lead field (did you mean company.employees?)',
    );
  });

  it('lists the lead fields when nothing is close', () => {
    expect(errorOf(`${BASE}rules:\n  - { name: X, when: { budget: 5 }, route: { team: sales } }\n`)).toMatch(
      /^rules\[0\]\.when\.budget: unknown lead field \(use source, score, .*fields\.<name> or any\)$/,
    );
  });

  it('checks lead fields inside any', () => {
    expect(errorOf(`${BASE}rules:\n  - { name: X, when: { any: [ { scor: 5 } ] }, route: { team: sales } }\n`)).toBe(
      'rules[0].when.any[0].scor: unknown lead field (did you mean score?)',
    );
  });

  it.each([
    ['in: DE', 'rules[0].when.company.country.in: expected list, got string'],
    ['exists: yes', 'rules[0].when.company.country.exists: expected boolean, got string'],
    ['contains: 5', 'rules[0].when.company.country.contains: expected string, got number'],
    ['matches: "(DE"', 'rules[0].when.company.country.matches: invalid regular expression "(DE" (Unterminated group)'],
    ['equals: DE', 'rules[0].when.company.country.equals: unknown key "equals"'],
    ['gtee: 5', 'rules[0].when.company.country.gtee: unknown key "gtee" (did you mean gte?)'],
  ])('checks the operator %s', (operator, message) => {
    expect(errorOf(`${BASE}rules:\n  - { name: X, when: { company.country: { ${operator} } }, route: { team: sales } }\n`)).toBe(message);
  });

  it('rejects a field test without operators', () => {
    expect(errorOf(`${BASE}rules:\n  - { name: X, when: { score: {} }, route: { team: sales } }\n`)).toContain('rules[0].when.score: needs at least one operator');
  });

  it('rejects a list as a field test', () => {
    expect(errorOf(`${BASE}rules:\n  - { name: X, when: { source: [form, email] }, route: { team: sales } }\n`)).toBe(
      'rules[0].when.source: expected a value or operators like { gte: 80 }, got list',
    );
  });

  it('reports an unknown key with its line and the closest known key', () => {
    expect(errorsOf(`${BASE}sla:\n  claim_withn: 5m\n`)).toEqual(['leadrelay.yml:10 sla.claim_withn: unknown key "claim_withn" (did you mean claim_within?)']);
  });

  it('reports each unknown key of a map separately', () => {
    expect(errorsOf(`${BASE}colour: red\nsize: 3\n`)).toEqual(['leadrelay.yml:9 colour: unknown key "colour"', 'leadrelay.yml:10 size: unknown key "size"']);
  });

  it('reports a missing required key', () => {
    expect(errorOf(BASE.replace('fallback: { team: sales }\n', ''))).toBe('fallback: required');
  });

  it('reports a value outside an enumeration', () => {
    expect(errorOf(BASE.replace('    members: [U0ALICE, U0BOB]\n', '    members: [U0ALICE, U0BOB]\n    distribution: rr\n'))).toBe(
      'teams[0].distribution: must be one of round_robin, least_loaded',
    );
  });

  it.each(['5 mins', '0s', '1.5h'])('rejects the duration %j', (value) => {
    expect(errorOf(`${BASE}sla:\n  claim_within: ${value}\n`)).toBe(`sla.claim_within: invalid duration "${value}" (use 30s, 5m, 1h, 30d)`);
  });

  it('rejects a bare number as a duration', () => {
    expect(errorOf(`${BASE}sla:\n  claim_within: 300\n`)).toBe('sla.claim_within: invalid duration 300 (use 30s, 5m, 1h, 30d)');
  });

  it.each(['150%', '0%', 'soon'])('rejects remind_at %j', (value) => {
    expect(errorOf(`${BASE}sla:\n  remind_at: ${value}\n`)).toContain(`sla.remind_at: invalid remind_at "${value}"`);
  });

  it('rejects a remind_at duration that is not shorter than claim_within', () => {
    expect(errorOf(`${BASE}sla: { claim_within: 5m, remind_at: 5m }\n`)).toBe('sla.remind_at: must be shorter than claim_within');
  });

  it('rejects max_offers below 1', () => {
    expect(errorOf(`${BASE}sla: { max_offers: 0 }\n`)).toBe('sla.max_offers: must be at least 1');
  });

  it.each([
    ['capacity: 2.5', 'reps[0].capacity: must be a whole number'],
    ['capacity: 0', 'reps[0].capacity: must be at least 1'],
    ['daily_cap: -3', 'reps[0].daily_cap: must be at least 1'],
    ['weight: 0', 'reps[0].weight: must be greater than 0'],
    ['timezone: Mars/Base', 'reps[0].timezone: unknown time zone "Mars/Base" (use an IANA name like Europe/Berlin or America/New_York)'],
    ['hours: "Mnd-Fri 09:00-17:00"', 'reps[0].hours: invalid day "Mnd" (expected Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range like Mon-Fri, or daily)'],
    ['hours: "Mon-Fri 25:00-26:00"', 'reps[0].hours: invalid time "25:00" (use HH:MM, e.g. 09:00)'],
    ['email: alice-at-example', 'reps[0].email: invalid email "alice-at-example"'],
  ])('checks the rep setting %s', (setting, message) => {
    expect(errorOf(BASE.replace('  - id: U0ALICE\n', `  - id: U0ALICE\n    ${setting}\n`))).toBe(message);
  });

  it('rejects an invalid config time zone', () => {
    expect(errorOf(`timezone: Europe/Berlinn\n${BASE}`)).toContain('timezone: unknown time zone "Europe/Berlinn"');
  });

  it('rejects something that is not a Slack user id', () => {
    expect(errorOf(BASE.replace('  - id: U0BOB', '  - id: bob'))).toBe(
      'reps[1].id: invalid Slack user id "bob" (expected an id like U0ALICE: profile → ⋮ → Copy member ID)',
    );
  });

  it('rejects something that is not a Slack channel id', () => {
    expect(errorOf(`${BASE}escalation:\n  channel: "#sales-managers"\n`)).toContain('escalation.channel: invalid Slack channel id "#sales-managers"');
  });

  it('rejects a team without members', () => {
    expect(errorOf(BASE.replace('members: [U0ALICE, U0BOB]', 'members: []'))).toBe('teams[0].members: a team needs at least one member');
  });

  it('rejects a config without reps', () => {
    expect(errorOf('reps: []\nfallback: { sequence: nurture }\nsequences: [{ id: nurture }]\n')).toBe('reps: list at least one rep');
  });

  it('rejects a route with more than one target', () => {
    expect(errorOf(`${BASE}rules:\n  - { name: X, route: { team: sales, rep: U0BOB } }\n`)).toContain('rules[0].route: use exactly one of team, rep, sequence');
  });

  it('rejects a route that is neither account_owner nor a target', () => {
    expect(errorOf(`${BASE}rules:\n  - { name: X, route: sales }\n`)).toBe(
      'rules[0].route: expected account_owner or { team: <id> }, { rep: <user id> } or { sequence: <id> }',
    );
  });

  it('names the wrong part of a route target', () => {
    expect(errorOf(`${BASE}rules:\n  - { name: X, route: { team: 5 } }\n`)).toBe('rules[0].route.team: expected string, got number');
  });

  it('rejects account_owner as the fallback', () => {
    expect(errorOf(BASE.replace('fallback: { team: sales }', 'fallback: account_owner'))).toBe(
      'fallback: expected { team: <id> }, { rep: <user id> } or { sequence: <id> }, got string',
    );
  });

  it('rejects an unknown signal kind', () => {
    expect(errorOf(`${BASE}signals:\n  - { name: S, when: { kind: reply_postive }, route: { team: sales } }\n`)).toBe(
      'signals[0].when.kind: must be one of reply_positive, reply_negative, reply, profile_view, email_open, link_click, meeting_booked, connection_accepted',
    );
  });

  it('rejects within without count', () => {
    expect(errorOf(`${BASE}signals:\n  - { name: S, when: { kind: reply, within: 2h }, route: { team: sales } }\n`)).toBe(
      'signals[0].when.within: only allowed together with count (e.g. count: { gte: 3 })',
    );
  });

  it('rejects a count with a non-numeric bound', () => {
    expect(errorOf(`${BASE}signals:\n  - { name: S, when: { count: { gte: three } }, route: { team: sales } }\n`)).toBe(
      'signals[0].when.count.gte: expected number, got string',
    );
  });

  it('rejects lead fields in a signal condition', () => {
    expect(errorOf(`${BASE}signals:\n  - { name: S, when: { score: { gte: 5 } }, route: { team: sales } }\n`)).toContain(
      'signals[0].when.score: unknown key "score"',
    );
  });

  it('rejects enrichment without a source', () => {
    expect(errorOf(`${BASE}enrichment:\n  timeout: 5s\n`)).toBe('enrichment: set companies, webhook or both');
  });

  it('rejects an unknown webhook event and a non-http URL', () => {
    expect(errorsOf(`${BASE}webhooks:\n  - url: ftp://crm.example.com\n    events: [lead.claimed, lead.lost]\n`)).toEqual([
      'leadrelay.yml:10 webhooks[0].url: invalid URL "ftp://crm.example.com" (expected http:// or https://…)',
      'leadrelay.yml:11 webhooks[0].events[1]: must be one of lead.claimed, lead.assigned, lead.reassigned, lead.escalated, lead.done',
    ]);
  });

  it('reports every error at once, in file order, each with its line', () => {
    expect(
      errorsOf(`timezone: Nowhere/City
sla:
  claim_within: 5 mins
reps:
  - id: U0ALICE
    capacity: many
teams:
  - id: sales
    manager: U0ALICE
    members: [U0ALICE]
    distribution: random
fallback: { team: sales }
`),
    ).toEqual([
      'leadrelay.yml:1 timezone: unknown time zone "Nowhere/City" (use an IANA name like Europe/Berlin or America/New_York)',
      'leadrelay.yml:3 sla.claim_within: invalid duration "5 mins" (use 30s, 5m, 1h, 30d)',
      'leadrelay.yml:6 reps[0].capacity: expected number, got string',
      'leadrelay.yml:11 teams[0].distribution: must be one of round_robin, least_loaded',
    ]);
  });

  it('reports a missing key at the line of the map it belongs in', () => {
    expect(errorsOf(BASE.replace('  - id: U0BOB\n', '  - id: U0BOB\n  - name: Carol\n'))).toEqual(['leadrelay.yml:4 reps[2].id: required']);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(errorsOf('reps:\n  - id: U0ALICE\nfallback: team: sales\n')).toEqual([
      'leadrelay.yml:3 invalid YAML: Nested mappings are not allowed in compact mappings',
    ]);
  });

  it('refuses to expand an alias bomb', () => {
    const row = (alias: string) => `[${Array.from({ length: 10 }, () => alias).join(', ')}]`;
    const bomb = `a: &a ${row('x')}\nb: &b ${row('*a')}\nc: &c ${row('*b')}\nd: ${row('*c')}\n`;
    expect(errorsOf(bomb)[0]).toMatch(/^leadrelay\.yml:1 invalid YAML: Excessive alias count/);
  });

  it('reports duplicate keys as YAML errors', () => {
    expect(errorsOf(`${BASE}fallback: { team: other }\n`)[0]).toMatch(/^leadrelay\.yml:9 invalid YAML: Map keys must be unique/);
  });

  it('reports an empty file', () => {
    expect(errorsOf('# nothing yet\n')).toEqual(['leadrelay.yml is empty (start from leadrelay.example.yml)']);
  });

  it('reports a file that is not a map of settings', () => {
    expect(errorsOf('- reps\n')).toEqual(['leadrelay.yml:1 expected a map of settings (see leadrelay.example.yml), got list']);
  });
});

describe('parseConfig: cross-references', () => {
  it('rejects a team member who is not a rep', () => {
    expect(errorsOf(BASE.replace('[U0ALICE, U0BOB]', '[U0ALICE, U0ZED]'))).toEqual([
      'leadrelay.yml:7 teams[0].members[1]: unknown rep "U0ZED" (not listed under reps)',
    ]);
  });

  it('rejects a member listed twice', () => {
    expect(errorOf(BASE.replace('[U0ALICE, U0BOB]', '[U0ALICE, U0BOB, U0ALICE]'))).toBe('teams[0].members[2]: "U0ALICE" is listed twice');
  });

  it('rejects an account owner who is not a rep', () => {
    expect(errorOf(`${BASE}accounts:\n  - { domain: acme.com, owner: U0ZED }\n`)).toBe('accounts[0].owner: unknown rep "U0ZED" (not listed under reps)');
  });

  it('rejects a team manager who is neither a manager nor a rep', () => {
    expect(errorOf(BASE.replace('manager: U0ALICE', 'manager: U0BOSS'))).toBe('teams[0].manager: unknown manager "U0BOSS" (list them under managers or reps)');
  });

  it('accepts a team manager listed under managers', () => {
    expect(configOf(`managers: [U0BOSS]\n${BASE.replace('manager: U0ALICE', 'manager: U0BOSS')}`).teams[0]?.manager).toBe('U0BOSS');
  });

  it('requires a manager on every team when there is no escalation channel', () => {
    expect(errorsOf(BASE.replace('    manager: U0ALICE\n', ''))).toEqual(['leadrelay.yml:5 teams[0].manager: required when escalation.channel is not set']);
  });

  it('accepts teams without a manager when there is an escalation channel', () => {
    expect(configOf(`escalation:\n  channel: C0SALESMGR\n${BASE.replace('    manager: U0ALICE\n', '')}`).teams[0]?.manager).toBeUndefined();
  });

  it.each([
    ['{ team: sales-emea }', 'rules[0].route.team: unknown team "sales-emea"'],
    ['{ team: sals }', 'rules[0].route.team: unknown team "sals" (did you mean sales?)'],
    ['{ rep: U0ZED }', 'rules[0].route.rep: unknown rep "U0ZED"'],
    ['{ sequence: nurture }', 'rules[0].route.sequence: unknown sequence "nurture"'],
  ])('rejects a rule routing to %s that does not exist', (route, message) => {
    expect(errorOf(`${BASE}rules:\n  - { name: X, route: ${route} }\n`)).toBe(message);
  });

  it('rejects a signal rule routing to a team that does not exist', () => {
    expect(errorOf(`${BASE}signals:\n  - { name: S, route: { team: senior } }\n`)).toBe('signals[0].route.team: unknown team "senior"');
  });

  it('rejects a fallback that does not exist', () => {
    expect(errorOf(BASE.replace('fallback: { team: sales }', 'fallback: { rep: U0ZED }'))).toBe('fallback.rep: unknown rep "U0ZED"');
  });

  it.each([
    ['reps', BASE.replace('  - id: U0BOB\n', '  - id: U0BOB\n  - id: U0BOB\n'), 'reps[2].id: duplicate rep id "U0BOB" (first at reps[1])'],
    ['teams', `${BASE}`.replace('fallback:', '  - { id: sales, manager: U0BOB, members: [U0BOB] }\nfallback:'), 'teams[1].id: duplicate team id "sales" (first at teams[0])'],
    ['sequences', `${BASE}sequences: [{ id: nurture }, { id: nurture }]\n`, 'sequences[1].id: duplicate sequence id "nurture" (first at sequences[0])'],
    ['accounts', `${BASE}accounts:\n  - { domain: acme.com, owner: U0ALICE }\n  - { domain: ACME.com, owner: U0BOB }\n`, 'accounts[1].domain: duplicate account domain "acme.com" (first at accounts[0])'],
    ['rules', `${BASE}rules:\n  - { name: Hot, route: { team: sales } }\n  - { name: Hot, route: { rep: U0BOB } }\n`, 'rules[1].name: duplicate rule name "Hot" (first at rules[0])'],
  ])('rejects duplicate %s', (_section, yaml, message) => {
    expect(errorOf(yaml)).toBe(message);
  });

  it('reports type errors and cross-reference errors in the same run, in file order', () => {
    expect(
      errorsOf(`reps:
  - id: U0ALICE
    capacity: lots
teams:
  - id: sales
    manager: U0ALICE
    members: [U0ALICE, U0ZED]
rules:
  - { name: Hot, when: { score: { gte: high } }, route: { team: senior } }
fallback: { sequence: nurture }
`),
    ).toEqual([
      'leadrelay.yml:3 reps[0].capacity: expected number, got string',
      'leadrelay.yml:7 teams[0].members[1]: unknown rep "U0ZED" (not listed under reps)',
      'leadrelay.yml:9 rules[0].when.score.gte: expected number, got string',
      'leadrelay.yml:9 rules[0].route.team: unknown team "senior"',
      'leadrelay.yml:10 fallback.sequence: unknown sequence "nurture"',
    ]);
  });

  it('says that a manager listed where a rep belongs is a manager, not a rep', () => {
    const yaml = `managers: [U0MGR]\n${BASE.replace('[U0ALICE, U0BOB]', '[U0ALICE, U0MGR]')}accounts:\n  - { domain: acme.com, owner: U0MGR }\nrules:\n  - { name: Boss, route: { rep: U0MGR } }\n`;
    expect(errorsOf(yaml)).toEqual([
      'leadrelay.yml:8 teams[0].members[1]: "U0MGR" is a manager, not a rep (list them under reps too if they should get leads)',
      'leadrelay.yml:11 accounts[0].owner: "U0MGR" is a manager, not a rep (list them under reps too if they should get leads)',
      'leadrelay.yml:13 rules[0].route.rep: "U0MGR" is a manager, not a rep (list them under reps too if they should get leads)',
    ]);
  });

  it('calls nobody an unknown rep while a rep id is malformed (it may be that typo)', () => {
    expect(errorsOf(BASE.replace('  - id: U0BOB', '  - id: U0bob'))).toEqual([
      'leadrelay.yml:3 reps[1].id: invalid Slack user id "U0bob" (expected an id like U0ALICE: profile → ⋮ → Copy member ID)',
    ]);
  });

  it('reports every cross-reference problem at once', () => {
    expect(
      errorsOf(`reps:
  - id: U0ALICE
teams:
  - id: sales
    members: [U0ALICE, U0ZED]
rules:
  - { name: X, route: { team: nope } }
fallback: { rep: U0NOBODY }
`),
    ).toEqual([
      'leadrelay.yml:4 teams[0].manager: required when escalation.channel is not set',
      'leadrelay.yml:5 teams[0].members[1]: unknown rep "U0ZED" (not listed under reps)',
      'leadrelay.yml:7 rules[0].route.team: unknown team "nope"',
      'leadrelay.yml:8 fallback.rep: unknown rep "U0NOBODY"',
    ]);
  });
});

describe('loadConfig', () => {
  it('says how to get a config when the file does not exist', () => {
    const result = loadConfig('./no-such-leadrelay.yml');
    expect(result).toEqual({
      ok: false,
      errors: [{ path: '', message: 'config file not found: ./no-such-leadrelay.yml (set LEADRELAY_CONFIG or create it from leadrelay.example.yml)' }],
    });
  });
});

describe('formatConfigErrors', () => {
  it('writes file:line path: message, one error per line', () => {
    expect(
      formatConfigErrors('leadrelay.yml', [
        { path: 'rules[1].when.score.gte', message: 'expected number, got string', line: 23 },
        { path: 'fallback', message: 'required' },
      ]),
    ).toBe('leadrelay.yml:23 rules[1].when.score.gte: expected number, got string\nleadrelay.yml fallback: required');
  });

  it('writes errors about the whole file as they are', () => {
    expect(formatConfigErrors('x.yml', [{ path: '', message: 'x.yml is empty' }])).toBe('x.yml is empty');
  });
});

describe('parseConfig: sources (POST /hooks/<id>)', () => {
  const sources = (yaml: string) => `${BASE}sources:\n${yaml}`;

  it('reads a source with its defaults: source form, no map, no defaults', () => {
    expect(configOf(sources('  - { id: demo-form, preset: typeform, secret_env: TYPEFORM_SECRET }\n')).sources).toEqual([
      { id: 'demo-form', preset: 'typeform', secret_env: 'TYPEFORM_SECRET', source: 'form', map: {}, defaults: {} },
    ]);
    expect(configOf(BASE).sources).toEqual([]);
  });

  it('reads map (lead path → JSONata) and defaults (lead path → value)', () => {
    const config = configOf(
      sources(`  - id: demo-form
    preset: typeform
    secret_env: TYPEFORM_SECRET
    source: linkedin
    map:
      name: "form_response.answers[field.ref='full_name'].text"
      company.employees: "form_response.answers[field.ref='employees'].number"
      fields: "form_response.hidden"
    defaults: { team: sales, company.country: DE, fields.campaign: spring }
`),
    );
    expect(config.sources[0]).toMatchObject({
      source: 'linkedin',
      map: { name: "form_response.answers[field.ref='full_name'].text", 'company.employees': "form_response.answers[field.ref='employees'].number", fields: 'form_response.hidden' },
      defaults: { team: 'sales', 'company.country': 'DE', 'fields.campaign': 'spring' },
    });
  });

  it('compiles every expression and names the source and path of a bad one', () => {
    expect(errorsOf(sources(`  - id: demo-form
    preset: typeform
    secret_env: TYPEFORM_SECRET
    map:
      name: "form_response.answers[field.ref="
      title: "$uppercase("
`))).toEqual([
      'leadrelay.yml:14 sources[0].map.name: source "demo-form": invalid JSONata: Expected "]" before end of expression (at character 32)',
      'leadrelay.yml:15 sources[0].map.title: source "demo-form": invalid JSONata: Expected ")" before end of expression (at character 11)',
    ]);
  });

  it('names unknown lead paths in map and defaults, and a map value that is not text', () => {
    expect(errorsOf(sources('  - { id: z, preset: generic, map: { email: email, emal: x, source: y, score: 5 }, defaults: { teem: sdr } }\n'))).toEqual([
      'leadrelay.yml:10 sources[0].map.emal: unknown lead path "emal" for map (did you mean email?)',
      `leadrelay.yml:10 sources[0].map.source: unknown lead path "source" for map (use score, email, linkedin_url, name, title, phone, message, external_id, owner, team, crm_url, company.name, company.domain, company.employees, company.industry, company.country, company.region, fields.<name> or fields)`,
      'leadrelay.yml:10 sources[0].map.score: expected a JSONata expression as text, got number (for a fixed value use defaults)',
      'leadrelay.yml:10 sources[0].defaults.teem: unknown lead path "teem" for defaults (did you mean team?)',
    ]);
  });

  it('checks the defaults as lead values', () => {
    expect(errorsOf(sources('  - { id: z, preset: generic, map: { email: email }, defaults: { score: high, company.employees: -3 } }\n'))).toEqual([
      'leadrelay.yml:10 sources[0].defaults.score: expected number, got string',
      'leadrelay.yml:10 sources[0].defaults.company.employees: must be 0 or more',
    ]);
  });

  it('requires secret_env for the signed presets, and a contact in a generic map', () => {
    expect(errorsOf(sources('  - { id: a, preset: hubspot }\n  - { id: b, preset: generic, map: { name: name } }\n'))).toEqual([
      "leadrelay.yml:10 sources[0].secret_env: required for the hubspot preset: the environment variable that holds your HubSpot app's client secret",
      'leadrelay.yml:11 sources[1].map: source "b": a generic source has no preset, so its map must set email or linkedin_url (e.g. email: "email")',
    ]);
  });

  it('refuses an unknown preset, a bad id and a bad variable name', () => {
    expect(errorsOf(sources('  - { id: "demo form", preset: zapier, secret_env: "MY-SECRET" }\n'))).toEqual([
      'leadrelay.yml:10 sources[0].id: invalid id "demo form" (use letters, digits, - and _)',
      'leadrelay.yml:10 sources[0].preset: must be one of typeform, hubspot, calendly, generic',
      'leadrelay.yml:10 sources[0].secret_env: invalid environment variable name "MY-SECRET" (letters, digits and _, e.g. TYPEFORM_SECRET)',
    ]);
  });

  it('refuses a repeated id and pre-routing to a team or rep that does not exist', () => {
    expect(errorsOf(sources('  - { id: a, preset: typeform, secret_env: S, defaults: { team: nobody, owner: U0ZED } }\n  - { id: a, preset: calendly, secret_env: S }\n'))).toEqual([
      'leadrelay.yml:10 sources[0].defaults.team: unknown team "nobody"',
      'leadrelay.yml:10 sources[0].defaults.owner: unknown rep "U0ZED" (a Slack user id or e-mail of a rep under reps)',
      'leadrelay.yml:11 sources[1].id: duplicate source id "a" (first at sources[0])',
    ]);
  });
});
