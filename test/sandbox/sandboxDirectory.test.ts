import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatConfigErrors, loadConfig, parseConfig } from '../../src/config/loadConfig.ts';
import type { Config } from '../../src/config/schema.ts';
import { sandboxWorkspace, withShortSla } from '../../src/sandbox/sandboxDirectory.ts';

const EXAMPLE = fileURLToPath(new URL('../../leadrelay.example.yml', import.meta.url));

function exampleConfig(): Config {
  const result = loadConfig(EXAMPLE);
  if (!result.ok) throw new Error(formatConfigErrors(EXAMPLE, result.errors));
  return result.config;
}

function configOf(yaml: string): Config {
  const result = parseConfig(yaml, 'leadrelay.yml');
  if (!result.ok) throw new Error(formatConfigErrors('leadrelay.yml', result.errors));
  return result.config;
}

const MINUTE = 60_000;

describe('sandboxWorkspace: the example config', () => {
  const config = exampleConfig();
  const seed = sandboxWorkspace(config);

  it('makes every rep a person with their name, time zone and teams', () => {
    expect(config.reps.length).toBeGreaterThan(0);
    for (const rep of config.reps) {
      const person = seed.people.find((p) => p.id === rep.id);
      const teams = config.teams.filter((team) => team.members.includes(rep.id)).map((team) => team.id);
      expect(person, rep.id).toEqual({ id: rep.id, name: rep.name, tz: rep.timezone ?? config.timezone, role: teams.length > 0 ? `rep · ${teams.join(', ')}` : 'rep' });
    }
  });

  it('lists a rep in several teams under each, and gives a rep without a time zone the default one', () => {
    const byId = new Map(seed.people.map((p) => [p.id, p]));
    expect(byId.get('U0ALICE')).toEqual({ id: 'U0ALICE', name: 'Alice Example', role: 'rep · senior, enterprise', tz: 'Europe/Berlin' });
    expect(byId.get('U0CAROL')).toEqual({ id: 'U0CAROL', name: 'Carol Example', role: 'rep · senior', tz: 'America/New_York' });
    expect(byId.get('U0FRANK')?.tz).toBe('Asia/Singapore');
  });

  it('adds the manager who is not a rep once, in the default time zone', () => {
    expect(config.reps.some((rep) => rep.id === 'U0MGR')).toBe(false);
    const managers = seed.people.filter((p) => p.id === 'U0MGR');
    expect(managers).toEqual([{ id: 'U0MGR', name: 'Mgr', role: 'manager', tz: 'America/New_York' }]);
    expect(seed.users.filter((u) => u.id === 'U0MGR')).toEqual([{ id: 'U0MGR', name: 'mgr', realName: 'Mgr', displayName: 'Mgr', tz: 'America/New_York' }]);
  });

  it('has exactly the reps and managers, each once, people and users in the same order', () => {
    const expected = [...config.reps.map((rep) => rep.id), 'U0MGR'];
    expect(seed.people.map((p) => p.id)).toEqual(expected);
    expect(seed.users.map((u) => u.id)).toEqual(expected);
    expect(seed.users.map((u) => u.realName)).toEqual(seed.people.map((p) => p.name));
    expect(seed.users.map((u) => u.tz)).toEqual(seed.people.map((p) => p.tz));
  });

  it('makes each rep a workspace member with a handle from the email, the name as real and display name', () => {
    const alice = seed.users.find((u) => u.id === 'U0ALICE');
    expect(alice).toEqual({ id: 'U0ALICE', name: 'alice', realName: 'Alice Example', displayName: 'Alice Example', tz: 'Europe/Berlin', email: 'alice@example.com' });
    for (const rep of config.reps) {
      const user = seed.users.find((u) => u.id === rep.id);
      expect(user?.name, rep.id).toBe(rep.email?.split('@')[0]);
      expect(user?.email, rep.id).toBe(rep.email);
    }
  });

  it('creates the escalation channel and the sequence channel', () => {
    expect(seed.channels).toEqual([
      { id: 'C0SALESMGR', name: 'lead-escalations', purpose: 'escalations' },
      { id: 'C0NURTURE', name: 'nurture-leads', purpose: 'nurture sequence' },
    ]);
  });

  it('does not change the config', () => {
    const before = structuredClone(config);
    sandboxWorkspace(config);
    expect(config).toEqual(before);
  });
});

describe('sandboxWorkspace: people', () => {
  it('marks a rep who also manages, whether as a team manager or a top-level manager, and does not add them twice', () => {
    const config = configOf(`timezone: Europe/Paris
managers: [U0ANNA, U0BOSS]
reps:
  - id: U0ANNA
    name: Anna Lead
  - id: U0BEN
    name: Ben Rep
  - id: U0CORA
    name: Cora Rep
teams:
  - id: north
    manager: U0BEN
    members: [U0ANNA, U0BEN]
  - id: south
    manager: U0BOSS
    members: [U0CORA]
fallback: { team: north }
`);
    const { people, users } = sandboxWorkspace(config);
    expect(people).toEqual([
      { id: 'U0ANNA', name: 'Anna Lead', role: 'rep · north · manager', tz: 'Europe/Paris' },
      { id: 'U0BEN', name: 'Ben Rep', role: 'rep · north · manager', tz: 'Europe/Paris' },
      { id: 'U0CORA', name: 'Cora Rep', role: 'rep · south', tz: 'Europe/Paris' },
      { id: 'U0BOSS', name: 'Boss', role: 'manager', tz: 'Europe/Paris' },
    ]);
    expect(users.map((u) => u.id)).toEqual(['U0ANNA', 'U0BEN', 'U0CORA', 'U0BOSS']);
  });

  it('lists a manager named in several places once', () => {
    const config = configOf(`managers: [U0BOSS, U0BOSS, U0CHIEF]
reps:
  - id: U0ANNA
teams:
  - id: north
    manager: U0BOSS
    members: [U0ANNA]
  - id: south
    manager: U0BOSS
    members: [U0ANNA]
  - id: west
    manager: U0CHIEF
    members: [U0ANNA]
fallback: { team: north }
`);
    const { people } = sandboxWorkspace(config);
    expect(people.map((p) => [p.id, p.role])).toEqual([
      ['U0ANNA', 'rep · north, south, west'],
      ['U0BOSS', 'manager'],
      ['U0CHIEF', 'manager'],
    ]);
  });

  it('a rep in no team is just a rep', () => {
    const config = configOf(`reps:
  - id: U0ANNA
  - id: U0LONE
teams:
  - id: north
    manager: U0ANNA
    members: [U0ANNA]
fallback: { team: north }
`);
    expect(sandboxWorkspace(config).people.map((p) => [p.id, p.role])).toEqual([
      ['U0ANNA', 'rep · north · manager'],
      ['U0LONE', 'rep'],
    ]);
  });

  it('derives handles: the email local part in lower case, else the first name, else from the id', () => {
    const config = configOf(`reps:
  - id: U0JANE
    name: Someone Else
    email: Jane.Doe@Example.com
  - id: U0ZOE
    name: "Zoë O'Neil"
  - id: U0PAT
    name: Pat-Ann Smith
  - id: U0ZED
teams:
  - id: all
    manager: U0JANE
    members: [U0JANE, U0ZOE, U0PAT, U0ZED]
fallback: { team: all }
`);
    const { users, people } = sandboxWorkspace(config);
    expect(users.map((u) => [u.id, u.name])).toEqual([
      ['U0JANE', 'jane.doe'],
      ['U0ZOE', 'zo'],
      ['U0PAT', 'pat-ann'],
      ['U0ZED', 'zed'],
    ]);
    // Without a name in the config, the stand-in's name for the id is used, and no email is invented.
    expect(people.find((p) => p.id === 'U0ZED')?.name).toBe('Zed');
    expect(users.find((u) => u.id === 'U0ZED')).not.toHaveProperty('email');
    expect(users.find((u) => u.id === 'U0JANE')?.email).toBe('Jane.Doe@Example.com');
    expect(people.every((p) => p.tz === 'UTC')).toBe(true);
  });
});

describe('sandboxWorkspace: channels', () => {
  it('lists each channel once: a sequence sharing the escalation channel, or another sequence’s, adds nothing', () => {
    const config = configOf(`reps:
  - id: U0ANNA
teams:
  - id: north
    members: [U0ANNA]
escalation:
  channel: C0ESC
sequences:
  - id: nurture
    channel: C0NURTURE
  - id: revive
    channel: C0NURTURE
  - id: watch
    channel: C0ESC
  - id: quiet
  - id: partners
    channel: C0PARTNERS
fallback: { team: north }
`);
    expect(sandboxWorkspace(config).channels).toEqual([
      { id: 'C0ESC', name: 'lead-escalations', purpose: 'escalations' },
      { id: 'C0NURTURE', name: 'nurture-leads', purpose: 'nurture sequence' },
      { id: 'C0PARTNERS', name: 'partners-leads', purpose: 'partners sequence' },
    ]);
  });

  it('has no channels without an escalation channel or sequence channels', () => {
    const config = configOf(`reps:
  - id: U0ANNA
teams:
  - id: north
    manager: U0ANNA
    members: [U0ANNA]
sequences:
  - id: quiet
fallback: { team: north }
`);
    expect(sandboxWorkspace(config).channels).toEqual([]);
  });
});

describe('withShortSla', () => {
  it('shortens a longer claim window and keeps the reminder at the same share of it', () => {
    const config = exampleConfig();
    expect(config.sla).toEqual({ claimWithin: 5 * MINUTE, remindAt: 0.5, maxOffers: 3 });
    const short = withShortSla(config, MINUTE);
    expect(short.sla).toEqual({ claimWithin: MINUTE, remindAt: 0.5, maxOffers: 3 });
    // The rest of the config is the same, and the original is untouched.
    const { sla: _shortSla, ...rest } = short;
    const { sla: _sla, ...original } = config;
    expect(rest).toEqual(original);
    expect(short.reps).toBe(config.reps);
    expect(config.sla.claimWithin).toBe(5 * MINUTE);
  });

  it('keeps a reminder given as a duration as its fraction of the window', () => {
    const config = configOf(`sla:
  claim_within: 10m
  remind_at: 4m
reps:
  - id: U0ANNA
teams:
  - id: north
    manager: U0ANNA
    members: [U0ANNA]
fallback: { team: north }
`);
    expect(config.sla.remindAt).toBeCloseTo(0.4);
    const short = withShortSla(config, 2 * MINUTE);
    expect(short.sla.claimWithin).toBe(2 * MINUTE);
    expect(short.sla.remindAt).toBe(config.sla.remindAt);
    // The reminder now comes 48 s into the 2-minute window.
    expect(short.sla.claimWithin * (short.sla.remindAt ?? 0)).toBeCloseTo(48_000);
  });

  it('keeps no reminder as no reminder', () => {
    const config = configOf(`sla:
  claim_within: 1h
reps:
  - id: U0ANNA
teams:
  - id: north
    manager: U0ANNA
    members: [U0ANNA]
fallback: { team: north }
`);
    expect(withShortSla(config, MINUTE).sla).toEqual({ claimWithin: MINUTE, remindAt: undefined, maxOffers: 3 });
  });

  it('returns the same config when the window is already that short or shorter', () => {
    const config = exampleConfig();
    expect(withShortSla(config, 5 * MINUTE)).toBe(config);
    expect(withShortSla(config, 10 * MINUTE)).toBe(config);
    expect(config.sla.claimWithin).toBe(5 * MINUTE);
  });
});
