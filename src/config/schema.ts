/**
 * The schema of leadrelay.yml: the one place that says what a valid config is. Parsing
 * turns the YAML's human values into what the code uses (durations → ms, `50%` → 0.5, hours →
 * WorkingHours, conditions → operator maps), and `toSettings` maps the result once into the
 * domain's own types (src/domain/settings.ts: `daily_cap` → `dailyCap`, `claim_within` →
 * `claimWithin`, `not_in` → `notIn`). Error paths stay the file's (`reps[2].daily_cap`).
 *
 * Validation (`validateConfig`) checks the structure (types, formats, unknown keys) and the
 * cross-references between sections (unique ids, every referenced rep, team and sequence exists) in
 * the same run, every problem at once. Messages are short and human; `humanErrorMap` supplies the
 * generic ones.
 */
import { z } from 'zod';
import { LEAD_SOURCES } from '../domain/lead.ts';
import { isValidTimeZone, type WorkingHours } from '../domain/workingHours.ts';
import {
  DISTRIBUTIONS,
  isLeadPath,
  LEAD_PATHS,
  SIGNAL_CHANNELS,
  SIGNAL_KINDS,
  WEBHOOK_EVENTS,
  type Condition,
  type Operators,
  type Rep,
  type Scalar,
  type Settings,
  type Target,
} from '../domain/settings.ts';
// A source's expressions and defaults are checked by the code that runs them, so that `check` and
// start-up refuse exactly what a request would fail on.
import { parseLeadPayload } from '../adapters/http/leadPayload.ts';
import { expressionSyntaxError } from '../adapters/sources/sourceExpression.ts';
import { DURATION_HINT, parseDuration } from '../domain/duration.ts';
import { parseWorkingHours } from './hours.ts';
import { flattenZodIssues, humanErrorMap, quote, typeName, type PathIssue } from './zodIssues.ts';

export { humanErrorMap };

// ---------------------------------------------------------------------------------------------
// Messages

/** Levenshtein distance, for "did you mean …?" hints on typos. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The candidate closest to `word`, if it is close enough to be a likely typo of it. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function didYouMean(word: string, candidates: readonly string[]): string {
  const guess = suggest(word, candidates);
  return guess === undefined ? '' : ` (did you mean ${guess}?)`;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

/**
 * A strict object (unknown keys are errors, so typos are caught) whose unknown-key messages suggest
 * the nearest known key, and whose type error can describe the expected shape in words.
 */
function strictObject<Shape extends z.core.$ZodLooseShape>(shape: Shape, expected?: string) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `unknown key "${key}"${didYouMean(key, known)}`).join('\n');
      if (issue.code === 'invalid_type' && issue.input !== undefined && expected) return `expected ${expected}, got ${typeName(issue.input)}`;
      return undefined;
    },
  });
}

/** A string restricted to `values`; a non-string is a type error, so unions can tell the branches apart. */
function stringEnum<const Values extends readonly [string, ...string[]]>(values: Values) {
  return z.string().pipe(z.enum(values));
}

const nonEmptyString = z.string().trim().min(1);

const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, {
  error: (issue) => `invalid Slack user id ${quote(issue.input)} (expected an id like U0ALICE: profile → ⋮ → Copy member ID)`,
});

const slackChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, {
  error: (issue) => `invalid Slack channel id ${quote(issue.input)} (expected an id like C0SALES: channel details → About)`,
});

/** Team and sequence ids appear in rules, lead payloads (`team`) and commands: keep them simple. */
const shortId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, {
  error: (issue) => `invalid id ${quote(issue.input)} (use letters, digits, - and _)`,
});

const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) => (issue.input === undefined ? undefined : `invalid URL ${quote(issue.input)} (expected http:// or https://…)`),
});

const email = z.email({
  error: (issue) => (issue.input === undefined ? undefined : `invalid email ${quote(issue.input)}`),
});

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, {
    error: (issue) => `invalid domain ${quote(issue.input)} (use the bare domain, e.g. acme.com)`,
  });

const timeZone = z.string().refine(isValidTimeZone, {
  error: (issue) => `unknown time zone ${quote(issue.input)} (use an IANA name like Europe/Berlin or America/New_York)`,
});

type Conversion<T> = { value: T } | { error: string };

/**
 * A YAML string turned into what the code uses by `convert`, whose error message becomes the
 * issue. `typeError` words the message for a value that is not a string at all (e.g. `300`).
 */
function converted<T>(convert: (text: string) => Conversion<T>, typeError?: (input: unknown) => string) {
  const text = typeError ? z.string({ error: (issue) => (issue.input === undefined ? undefined : typeError(issue.input)) }) : z.string();
  return text.transform((value, ctx) => {
    const result = convert(value);
    if ('value' in result) return result.value;
    ctx.addIssue({ code: 'custom', message: result.error });
    return z.NEVER;
  });
}

const durationError = (input: unknown) => `invalid duration ${quote(input)} (${DURATION_HINT})`;

/** `30s`, `5m`, `1h30m`, `30d` → milliseconds. */
const duration = converted((text): Conversion<number> => {
  const ms = parseDuration(text);
  return ms === null ? { error: durationError(text) } : { value: ms };
}, durationError);

/** `Mon-Fri 09:00-17:30` → WorkingHours. */
const workingHours = converted((text): Conversion<WorkingHours> => {
  const result = parseWorkingHours(text);
  return result.ok ? { value: result.hours } : { error: result.error };
});

const positiveInt = z.int().min(1);

// ---------------------------------------------------------------------------------------------
// Routes

const TARGET_SHAPE = '{ team: <id> }, { rep: <user id> } or { sequence: <id> }';

const target = strictObject({ team: shortId.optional(), rep: slackUserId.optional(), sequence: shortId.optional() }, TARGET_SHAPE).transform(
  ({ team, rep, sequence }, ctx): Target => {
    const given: Target[] = [];
    if (team !== undefined) given.push({ team });
    if (rep !== undefined) given.push({ rep });
    if (sequence !== undefined) given.push({ sequence });
    const [only] = given;
    if (given.length === 1 && only) return only;
    ctx.addIssue({ code: 'custom', message: `use exactly one of team, rep, sequence (e.g. ${TARGET_SHAPE})` });
    return z.NEVER;
  },
);

const route = z.union([
  z.string().pipe(z.literal('account_owner', { error: `expected account_owner or ${TARGET_SHAPE}` })),
  target,
]);

// ---------------------------------------------------------------------------------------------
// Conditions on leads


const OPERATOR_NAMES = 'eq, ne, in, not_in, gt, gte, lt, lte, exists, matches, contains';

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

const scalar = z.custom<Scalar>(isScalar, {
  error: (issue) => `expected a string, number or boolean, got ${typeName(issue.input)}`,
});

const regex = converted((pattern): Conversion<RegExp> => {
  try {
    return { value: new RegExp(pattern, 'i') };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split(': ').pop() : undefined;
    return { error: `invalid regular expression ${quote(pattern)}${reason ? ` (${reason})` : ''}` };
  }
});

const operators = strictObject(
  {
    eq: scalar.optional(),
    ne: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
    not_in: z.array(scalar).min(1).optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    exists: z.boolean().optional(),
    matches: regex.optional(),
    contains: z.string().optional(),
  },
  'a value or operators like { gte: 80 }',
).refine((ops) => Object.values(ops).some((value) => value !== undefined), {
  error: `needs at least one operator (${OPERATOR_NAMES})`,
  // An unknown key (say `equals`) is reported on its own; "no operator" would only repeat it.
  when: (payload) => payload.issues.length === 0,
}).transform(({ not_in: notIn, ...rest }): Operators => (notIn === undefined ? rest : { ...rest, notIn }));

const fieldTest = z.preprocess((value) => (isScalar(value) ? { eq: value } : value), operators);

function unknownLeadFieldMessage(path: string): string {
  const dot = path.indexOf('.');
  const candidates = [...LEAD_PATHS, 'any', ...(dot > 0 ? [`fields.${path.slice(dot + 1)}`] : [])];
  const hint = suggest(path, candidates);
  return hint === undefined
    ? `unknown lead field (use ${LEAD_PATHS.join(', ')}, fields.<name> or any)`
    : `unknown lead field (did you mean ${hint}?)`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Keys of a condition are lead paths containing dots (`company.employees`); they stay one key each,
 * so an error reads `rules[1].when.company.employees.gte`. Unknown paths are reported even when a
 * sibling has a type error, hence `when` below.
 */
const condition: z.ZodType<Condition> = z.lazy(() =>
  z
    .object({ any: z.array(condition).min(1).optional() }, { error: (issue) => conditionTypeError(issue.input) })
    .catchall(fieldTest)
    .superRefine(
      (value, ctx) => {
        for (const key of Object.keys(value)) {
          if (key !== 'any' && !isLeadPath(key)) ctx.addIssue({ code: 'custom', path: [key], message: unknownLeadFieldMessage(key) });
        }
      },
      { when: (payload) => isRecord(payload.value) },
    ),
);

function conditionTypeError(input: unknown): string | undefined {
  return input === undefined ? undefined : `expected a map of lead fields like { score: { gte: 80 } }, got ${typeName(input)}`;
}

// ---------------------------------------------------------------------------------------------
// Conditions on signals

/** `kind: reply` or `kind: { in: [reply, reply_positive] }`, both as `{ in: [...] }`. */
function oneOrIn<const Values extends readonly [string, ...string[]]>(values: Values) {
  const value = stringEnum(values);
  return z.union([value.transform((one) => ({ in: [one] })), strictObject({ in: z.array(value).min(1) }, `one of ${values.join(', ')} or { in: [...] }`)]);
}

const countTest = strictObject({ gte: z.int().min(0).optional(), gt: z.int().min(0).optional(), eq: z.int().min(0).optional() }, '{ gte: <n> }').refine(
  (count) => [count.gte, count.gt, count.eq].filter((n) => n !== undefined).length === 1,
  { error: 'use exactly one of gte, gt, eq (e.g. { gte: 3 })' },
);

/**
 * A signal rule's `when`. `count` counts the lead's signals matching kind and channel (this one
 * included), over the last `within` when given, otherwise over the lead's whole history.
 */
const signalCondition = strictObject({
  kind: oneOrIn(SIGNAL_KINDS).optional(),
  channel: oneOrIn(SIGNAL_CHANNELS).optional(),
  count: countTest.optional(),
  within: duration.optional(),
}).superRefine((when, ctx) => {
  if (when.within !== undefined && when.count === undefined) {
    ctx.addIssue({ code: 'custom', path: ['within'], message: 'only allowed together with count (e.g. count: { gte: 3 })' });
  }
});

// ---------------------------------------------------------------------------------------------
// Sections

/**
 * `remind_at`: `50%` of the claim window, or a duration after the offer (`2m`) that must be shorter
 * than `claim_within`. Either way the parsed config holds the fraction of the window, so the offer
 * logic has one representation.
 */
type RemindAt = { fraction: number } | { ms: number };

const REMIND_AT_HINT = 'use a percentage like 50% or a duration shorter than claim_within like 2m';

const remindAtError = (input: unknown) => `invalid remind_at ${quote(input)} (${REMIND_AT_HINT})`;

const remindAt = converted((text): Conversion<RemindAt> => {
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(text.trim());
  if (percent) {
    const value = Number(percent[1]);
    return value > 0 && value < 100 ? { value: { fraction: value / 100 } } : { error: remindAtError(text) };
  }
  const ms = parseDuration(text);
  return ms === null ? { error: remindAtError(text) } : { value: { ms } };
}, remindAtError);

const sla = strictObject({
  claim_within: duration.prefault('5m'),
  remind_at: remindAt.optional(),
  max_offers: positiveInt.default(3),
}).transform((value, ctx) => {
  const reminder = value.remind_at;
  if (reminder && 'ms' in reminder && reminder.ms >= value.claim_within) {
    ctx.addIssue({ code: 'custom', path: ['remind_at'], message: 'must be shorter than claim_within' });
    return z.NEVER;
  }
  const fraction = reminder === undefined ? undefined : 'fraction' in reminder ? reminder.fraction : reminder.ms / value.claim_within;
  return { claim_within: value.claim_within, remind_at: fraction, max_offers: value.max_offers };
});

const rep = strictObject({
  id: slackUserId,
  name: nonEmptyString.optional(),
  email: email.optional(),
  capacity: positiveInt.optional(),
  daily_cap: positiveInt.optional(),
  weight: z.number().positive().default(1),
  timezone: timeZone.optional(),
  hours: workingHours.optional(),
});

const team = strictObject({
  id: shortId,
  manager: slackUserId.optional(),
  members: z.array(slackUserId).min(1, { error: 'a team needs at least one member' }),
  distribution: z.enum(DISTRIBUTIONS).default('round_robin'),
});

const account = strictObject({ domain, owner: slackUserId });

const sequence = strictObject({ id: shortId, webhook: httpUrl.optional(), channel: slackChannelId.optional() });

const rule = strictObject({ name: nonEmptyString, when: condition.optional(), route });

const signalRule = strictObject({ name: nonEmptyString, when: signalCondition.optional(), route });

const enrichment = strictObject({
  companies: nonEmptyString.optional(),
  webhook: httpUrl.optional(),
  timeout: duration.prefault('2s'),
}).refine((value) => value.companies !== undefined || value.webhook !== undefined, {
  error: 'set companies, webhook or both',
});

const webhook = strictObject({
  url: httpUrl,
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).default(() => [...WEBHOOK_EVENTS]),
  secret: nonEmptyString.optional(),
});

// ---------------------------------------------------------------------------------------------
// Lead sources: POST /hooks/<id>

export const SOURCE_PRESET_NAMES = ['typeform', 'hubspot', 'calendly', 'generic'] as const;
export type SourcePresetName = (typeof SOURCE_PRESET_NAMES)[number];

/** The presets that verify the provider's own signature, and where the person finds that secret. */
const SECRET_HINTS: Record<Exclude<SourcePresetName, 'generic'>, string> = {
  typeform: "the secret set on the Typeform webhook",
  hubspot: "your HubSpot app's client secret",
  calendly: 'the signing key of the Calendly webhook subscription',
};

const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
  error: (issue) => `invalid environment variable name ${quote(issue.input)} (letters, digits and _, e.g. TYPEFORM_SECRET)`,
});

/** Lead paths a source may set: every rule path but `source` (the source's own key sets it). */
const MAPPABLE_PATHS = LEAD_PATHS.filter((path) => path !== 'source');

function unknownSourcePathMessage(path: string, what: string): string {
  const hint = suggest(path, [...MAPPABLE_PATHS, 'fields']);
  return `unknown lead path ${quote(path)} for ${what}${hint === undefined ? ` (use ${MAPPABLE_PATHS.join(', ')}, fields.<name>${what === 'map' ? ' or fields' : ''})` : ` (did you mean ${hint}?)`}`;
}

/** `company.employees: 1200` → `{ company: { employees: 1200 } }`: defaults as a lead body. */
function nestDefaults(defaults: Record<string, Scalar>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(defaults)) {
    const dot = path.indexOf('.');
    if (dot < 0) body[path] = value;
    else ((body[path.slice(0, dot)] ??= {}) as Record<string, unknown>)[path.slice(dot + 1)] = value;
  }
  return body;
}

/**
 * A source: where `POST /hooks/<id>` takes a provider's payload, how it is verified (`secret_env`
 * names the variable with the provider's signing secret), and how it becomes a lead: the preset's
 * mapping, `map` (lead path → JSONata over the body) overriding or adding paths, `defaults` for
 * paths the mapping leaves empty.
 */
const leadSource = strictObject({
  id: shortId,
  preset: stringEnum(SOURCE_PRESET_NAMES),
  secret_env: envVarName.optional(),
  source: stringEnum(LEAD_SOURCES).default('form'),
  // Checked below, with the expressions, so that one wrong entry does not hide the others' problems.
  map: z.record(z.string(), z.unknown()).default(() => ({})),
  defaults: z.record(z.string(), scalar).default(() => ({})),
}).superRefine((source, ctx) => {
  const where = `source ${quote(source.id)}`;
  if (source.preset !== 'generic' && source.secret_env === undefined) {
    ctx.addIssue({ code: 'custom', path: ['secret_env'], message: `required for the ${source.preset} preset: the environment variable that holds ${SECRET_HINTS[source.preset]}` });
  }
  for (const [path, expression] of Object.entries(source.map)) {
    if (path !== 'fields' && !(isLeadPath(path) && path !== 'source')) {
      ctx.addIssue({ code: 'custom', path: ['map', path], message: unknownSourcePathMessage(path, 'map') });
      continue;
    }
    if (typeof expression !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['map', path], message: `expected a JSONata expression as text, got ${typeName(expression)} (for a fixed value use defaults)` });
      continue;
    }
    const error = expressionSyntaxError(expression);
    if (error !== undefined) ctx.addIssue({ code: 'custom', path: ['map', path], message: `${where}: invalid JSONata: ${error}` });
  }
  if (source.preset === 'generic' && source.map.email === undefined && source.map.linkedin_url === undefined) {
    ctx.addIssue({ code: 'custom', path: ['map'], message: `${where}: a generic source has no preset, so its map must set email or linkedin_url (e.g. email: "email")` });
  }
  const badDefaults = Object.keys(source.defaults).filter((path) => !(isLeadPath(path) && path !== 'source'));
  for (const path of badDefaults) ctx.addIssue({ code: 'custom', path: ['defaults', path], message: unknownSourcePathMessage(path, 'defaults') });
  if (badDefaults.length > 0) return;
  // The defaults must be valid lead values: checked as a lead with a placeholder contact.
  const probe = parseLeadPayload({ email: 'defaults@example.com', ...nestDefaults(source.defaults) });
  if (!probe.ok) for (const issue of probe.issues) ctx.addIssue({ code: 'custom', path: ['defaults', issue.path], message: issue.message });
}).transform((source) => ({ ...source, map: source.map as Record<string, string> }));

export type LeadSourceConfig = z.output<typeof leadSource>;

const structure = strictObject(
  {
    timezone: timeZone.default('UTC'),
    sla: sla.prefault({}),
    dedupe: strictObject({ window: duration.prefault('30d') }).prefault({}),
    escalation: strictObject({ channel: slackChannelId.optional() }).optional(),
    managers: z.array(slackUserId).default(() => []),
    reps: z.array(rep).min(1, { error: 'list at least one rep' }),
    teams: z.array(team).default(() => []),
    accounts: z.array(account).default(() => []),
    sequences: z.array(sequence).default(() => []),
    rules: z.array(rule).default(() => []),
    signals: z.array(signalRule).default(() => []),
    fallback: target,
    enrichment: enrichment.optional(),
    webhooks: z.array(webhook).default(() => []),
    sources: z.array(leadSource).default(() => []),
  },
  'a map of settings (see leadrelay.example.yml)',
);

type Structure = z.output<typeof structure>;

// ---------------------------------------------------------------------------------------------
// Cross-references

/**
 * The cross-reference checks read the file as written (the raw YAML data), not the validated
 * structure, so that they run whatever else is wrong: `leadrelay check` reports a bad type and an
 * unknown team member in the same run. A value that is itself malformed (an id of the wrong shape,
 * a route naming two targets) already has its own structural error and is left out here.
 */
type RawMap = Readonly<Record<string, unknown>>;

function asMap(value: unknown): RawMap | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as RawMap) : undefined;
}

function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The entries of a section that are maps, with their index in the list. */
function entries(section: unknown): { item: RawMap; index: number }[] {
  return asList(section).flatMap((value, index) => {
    const item = asMap(value);
    return item ? [{ item, index }] : [];
  });
}

const isUserId = (value: unknown): value is string => slackUserId.safeParse(value).success;
const isShortId = (value: unknown): value is string => shortId.safeParse(value).success;

type Report = (path: readonly (string | number)[], message: string) => void;

/** Reports every repeated key after its first occurrence; entries without a usable key are skipped. */
function checkUnique(section: unknown, keyOf: (item: RawMap) => string | undefined, name: string, field: string, what: string, report: Report): void {
  const firstIndex = new Map<string, number>();
  for (const { item, index } of entries(section)) {
    const key = keyOf(item);
    if (key === undefined) continue;
    const first = firstIndex.get(key);
    if (first === undefined) firstIndex.set(key, index);
    else report([name, index, field], `duplicate ${what} ${quote(key)} (first at ${name}[${first}])`);
  }
}

/** Who the file names as reps and managers, to tell "unknown" from "a manager, not a rep". */
interface People {
  repIds: ReadonlySet<string>;
  /**
   * False when some rep has no well-formed id: an id that looks unknown may be that rep's (a typo
   * already reported there), so nobody is called unknown until it is fixed.
   */
  repsComplete: boolean;
  /** `managers:` and the teams' `manager:`. */
  managerIds: ReadonlySet<string>;
}

function peopleOf(raw: RawMap): People {
  const ids = asList(raw.reps).map((rep) => asMap(rep)?.id);
  const managerIds = new Set([...asList(raw.managers), ...entries(raw.teams).map(({ item }) => item.manager)].filter(isUserId));
  return { repIds: new Set(ids.filter(isUserId)), repsComplete: ids.every(isUserId), managerIds };
}

/** Why `id` (a well-formed user id) is not a rep, or null when it is one (or cannot be told). */
function notARep(id: string, people: People): string | null {
  if (people.repIds.has(id) || !people.repsComplete) return null;
  if (people.managerIds.has(id)) return `${quote(id)} is a manager, not a rep (list them under reps too if they should get leads)`;
  return `unknown rep ${quote(id)} (not listed under reps)`;
}

function checkTeams(raw: RawMap, people: People, report: Report): void {
  const escalationChannel = asMap(raw.escalation)?.channel;
  for (const { item: team, index: t } of entries(raw.teams)) {
    const seen = new Set<string>();
    asList(team.members).forEach((member, m) => {
      if (!isUserId(member)) return;
      const problem = notARep(member, people);
      if (problem !== null) report(['teams', t, 'members', m], problem);
      else if (seen.has(member)) report(['teams', t, 'members', m], `${quote(member)} is listed twice`);
      seen.add(member);
    });
    if (team.manager === undefined) {
      if (escalationChannel === undefined) report(['teams', t, 'manager'], 'required when escalation.channel is not set');
    } else if (isUserId(team.manager) && people.repsComplete && !asList(raw.managers).includes(team.manager) && !people.repIds.has(team.manager)) {
      report(['teams', t, 'manager'], `unknown manager ${quote(team.manager)} (list them under managers or reps)`);
    }
  }
}

type TargetKind = 'team' | 'rep' | 'sequence';

/** A route's one target, when it is well-formed: `account_owner` and malformed routes have none. */
function targetOf(route: unknown): { kind: TargetKind; id: string } | null {
  const map = asMap(route);
  if (!map) return null;
  const given = (['team', 'rep', 'sequence'] as const).filter((kind) => map[kind] !== undefined);
  const [kind] = given;
  if (given.length !== 1 || kind === undefined || Object.keys(map).length !== 1) return null;
  const id = map[kind];
  return (kind === 'rep' ? isUserId(id) : isShortId(id)) ? { kind, id: id as string } : null;
}

interface Known {
  people: People;
  teams: readonly string[];
  sequences: readonly string[];
  /** False when some team (sequence) has no well-formed id: then none is called unknown (see People). */
  teamsComplete: boolean;
  sequencesComplete: boolean;
}

/** Checks that a route's team, rep or sequence exists. */
function checkRoute(route: unknown, path: readonly (string | number)[], known: Known, report: Report): void {
  const target = targetOf(route);
  if (target === null) return;
  const { kind, id } = target;
  if (kind === 'rep') {
    const problem = notARep(id, known.people);
    // A route names the rep alone: "(not listed under reps)" is implied.
    if (problem !== null) report([...path, kind], problem.replace(' (not listed under reps)', ''));
    return;
  }
  const [ids, complete] = kind === 'team' ? [known.teams, known.teamsComplete] : [known.sequences, known.sequencesComplete];
  if (ids.includes(id) || !complete) return;
  report([...path, kind], `unknown ${kind} ${quote(id)}${didYouMean(id, ids)}`);
}

/** Source ids are unique, and a source pre-routing its leads names a known team and rep. */
function checkSources(raw: RawMap, known: Known, report: Report): void {
  checkUnique(raw.sources, (s) => (typeof s.id === 'string' ? s.id : undefined), 'sources', 'id', 'source id', report);
  const reps = entries(raw.reps).map(({ item }) => item);
  for (const { item: source, index } of entries(raw.sources)) {
    const defaults = asMap(source.defaults);
    if (!defaults) continue;
    const { team, owner } = defaults;
    if (typeof team === 'string' && known.teamsComplete && !known.teams.includes(team)) {
      report(['sources', index, 'defaults', 'team'], `unknown team ${quote(team)}${didYouMean(team, known.teams)}`);
    }
    if (typeof owner === 'string' && known.people.repsComplete) {
      const wanted = owner.toLowerCase();
      if (!reps.some((rep) => rep.id === owner || (typeof rep.email === 'string' && rep.email.toLowerCase() === wanted))) {
        report(['sources', index, 'defaults', 'owner'], `unknown rep ${quote(owner)} (a Slack user id or e-mail of a rep under reps)`);
      }
    }
  }
}

/** The checks that span sections: ids are unique, and everything referenced exists. */
function referenceIssues(data: unknown): PathIssue[] {
  const raw = asMap(data);
  if (!raw) return [];
  const issues: PathIssue[] = [];
  const report: Report = (path, message) => issues.push({ path: [...path], message });
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  checkUnique(raw.reps, (r) => text(r.id), 'reps', 'id', 'rep id', report);
  checkUnique(raw.teams, (t) => text(t.id), 'teams', 'id', 'team id', report);
  checkUnique(raw.sequences, (s) => text(s.id), 'sequences', 'id', 'sequence id', report);
  checkUnique(raw.accounts, (a) => text(a.domain)?.trim().toLowerCase(), 'accounts', 'domain', 'account domain', report);
  checkUnique(raw.rules, (r) => text(r.name), 'rules', 'name', 'rule name', report);
  checkUnique(raw.signals, (s) => text(s.name), 'signals', 'name', 'signal rule name', report);

  const people = peopleOf(raw);
  checkTeams(raw, people, report);
  for (const { item: account, index } of entries(raw.accounts)) {
    const problem = isUserId(account.owner) ? notARep(account.owner, people) : null;
    if (problem !== null) report(['accounts', index, 'owner'], problem);
  }
  const idsOf = (section: unknown) => asList(section).map((item) => asMap(item)?.id);
  const teamIds = idsOf(raw.teams);
  const sequenceIds = idsOf(raw.sequences);
  const known: Known = {
    people,
    teams: teamIds.filter(isShortId),
    sequences: sequenceIds.filter(isShortId),
    teamsComplete: teamIds.every(isShortId),
    sequencesComplete: sequenceIds.every(isShortId),
  };
  for (const { item, index } of entries(raw.rules)) checkRoute(item.route, ['rules', index, 'route'], known, report);
  for (const { item, index } of entries(raw.signals)) checkRoute(item.route, ['signals', index, 'route'], known, report);
  checkRoute(raw.fallback, ['fallback'], known, report);
  checkSources(raw, known, report);
  return issues;
}

/**
 * The validated file in the domain's words (src/domain/settings.ts), mapped once here: `daily_cap`
 * → `dailyCap`, the SLA's `claim_within` / `remind_at` / `max_offers` → `claimWithin` / `remindAt`
 * / `maxOffers`; reps without a time zone get the config's default one, so nobody forgets.
 */
function toConfig(file: Structure) {
  const { sla, reps, ...rest } = file;
  const settings = {
    ...rest,
    sla: { claimWithin: sla.claim_within, ...(sla.remind_at === undefined ? {} : { remindAt: sla.remind_at }), maxOffers: sla.max_offers },
    reps: reps.map(({ daily_cap: dailyCap, timezone, ...rep }): Rep => ({ ...rep, ...(dailyCap === undefined ? {} : { dailyCap }), timezone: timezone ?? file.timezone })),
  };
  return settings satisfies Settings;
}

export type ConfigValidation = { ok: true; config: Config } | { ok: false; issues: PathIssue[] };

/**
 * Validates the data of a whole leadrelay.yml: its structure (types, formats, unknown keys) and its
 * cross-references (ids unique, everything referenced exists), every problem of both at once, so a
 * file can be fixed in one go. Messages are human (`humanErrorMap`).
 */
export function validateConfig(data: unknown): ConfigValidation {
  const parsed = structure.safeParse(data, { error: humanErrorMap });
  const references = referenceIssues(data);
  if (parsed.success && references.length === 0) return { ok: true, config: toConfig(parsed.data) };
  return { ok: false, issues: [...(parsed.success ? [] : flattenZodIssues(parsed.error.issues)), ...references] };
}

/** The whole config: the domain's settings, plus what only adapters read (enrichment, lead sources). */
export type Config = ReturnType<typeof toConfig>;
export type Enrichment = NonNullable<Config['enrichment']>;
