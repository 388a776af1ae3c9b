-- leadrelay schema, version 1.
-- Times are epoch milliseconds (INTEGER). JSON documents are TEXT.
-- Forward-only: never edit a released migration, add 0002_… instead.

-- Leads. `id` is the n of the reference L-<n>; AUTOINCREMENT so a reference is never reused.
CREATE TABLE leads (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  external_id     TEXT,
  source          TEXT    NOT NULL CHECK (source IN ('form', 'linkedin', 'email', 'whatsapp', 'other')),
  email_key       TEXT,             -- normalized e-mail (lower-case, trimmed)
  linkedin_key    TEXT,             -- normalized LinkedIn URL (no scheme, www., query, trailing slash)
  domain          TEXT,             -- company domain (given, or from a non-free-mail e-mail)
  payload         TEXT    NOT NULL, -- the validated lead, JSON
  state           TEXT    NOT NULL DEFAULT 'received'
                  CHECK (state IN ('received', 'offered', 'claimed', 'done', 'queued', 'escalated', 'in_sequence')),
  owner_id        TEXT,             -- Slack user id of the rep who owns it (claimed/assigned)
  team_id         TEXT,             -- team that serves it, once routed
  sequence_id     TEXT,             -- the sequence it was sent to (state in_sequence)
  routed_by       TEXT,             -- the rule that fired: a rule name, 'fallback' or 'pre-routed'
  version         INTEGER NOT NULL DEFAULT 0, -- fencing token: bumped on every state change
  trace           TEXT,             -- routing trace, JSON
  received_at     INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  first_offered_at INTEGER,
  claimed_at      INTEGER,
  done_at         INTEGER,
  -- Escalation to a manager (SPEC 6): why, where the message is, when it was last pinged.
  escalation_reason   TEXT CHECK (escalation_reason IN ('max_offers', 'queued')),
  escalated_at        INTEGER,
  escalation_pings    INTEGER NOT NULL DEFAULT 0,
  escalation_next_ping_at INTEGER,
  escalation_channel  TEXT,
  escalation_ts       TEXT
);
CREATE UNIQUE INDEX leads_external_id ON leads (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX leads_email_key ON leads (email_key, received_at) WHERE email_key IS NOT NULL;
CREATE INDEX leads_linkedin_key ON leads (linkedin_key, received_at) WHERE linkedin_key IS NOT NULL;
CREATE INDEX leads_state ON leads (state, received_at);
CREATE INDEX leads_team_state ON leads (team_id, state) WHERE team_id IS NOT NULL;
CREATE INDEX leads_owner ON leads (owner_id, state) WHERE owner_id IS NOT NULL;
CREATE INDEX leads_received_at ON leads (received_at);
CREATE INDEX leads_escalation_ping ON leads (escalation_next_ping_at) WHERE escalation_next_ping_at IS NOT NULL;

-- Append-only history of every transition: who, when, why.
CREATE TABLE lead_history (
  id       INTEGER PRIMARY KEY,
  lead_id  INTEGER NOT NULL REFERENCES leads (id),
  at       INTEGER NOT NULL,
  actor    TEXT    NOT NULL,  -- 'system', a Slack user id, or 'api'
  event    TEXT    NOT NULL,  -- received, seen_again, routed, offered, claimed, passed, expired, ...
  detail   TEXT               -- JSON
);
CREATE INDEX lead_history_lead ON lead_history (lead_id, id);
CREATE TRIGGER lead_history_no_update BEFORE UPDATE ON lead_history
BEGIN SELECT RAISE(ABORT, 'lead_history is append-only'); END;
CREATE TRIGGER lead_history_no_delete BEFORE DELETE ON lead_history
BEGIN SELECT RAISE(ABORT, 'lead_history is append-only'); END;

-- Offers: one row per time a lead is offered to a rep. At most one pending offer per lead.
CREATE TABLE offers (
  id           INTEGER PRIMARY KEY,
  lead_id      INTEGER NOT NULL REFERENCES leads (id),
  rep_id       TEXT    NOT NULL,
  attempt      INTEGER NOT NULL,  -- 1 for the first offer of the lead, 2 for the next, ...
  state        TEXT    NOT NULL DEFAULT 'pending'
               CHECK (state IN ('pending', 'claimed', 'passed', 'expired', 'withdrawn')),
  version      INTEGER NOT NULL DEFAULT 0,
  offered_at   INTEGER NOT NULL,
  deadline_at  INTEGER NOT NULL,
  remind_at    INTEGER,
  reminded_at  INTEGER,
  resolved_at  INTEGER,
  reason       TEXT,
  why          TEXT,              -- the one-line "Why you" shown on the card
  channel_id   TEXT,              -- the card's DM channel, once posted
  message_ts   TEXT               -- the card's ts, once posted
);
CREATE UNIQUE INDEX offers_one_pending_per_lead ON offers (lead_id) WHERE state = 'pending';
CREATE INDEX offers_pending_deadline ON offers (deadline_at) WHERE state = 'pending';
CREATE INDEX offers_pending_remind ON offers (remind_at) WHERE state = 'pending' AND reminded_at IS NULL;
CREATE INDEX offers_rep ON offers (rep_id, offered_at);
CREATE INDEX offers_offered_at ON offers (offered_at);
CREATE INDEX offers_lead ON offers (lead_id, attempt);

-- Runtime state of a rep set from Slack; wins over the config file until changed back.
CREATE TABLE rep_state (
  rep_id             TEXT PRIMARY KEY,
  away_until         INTEGER,     -- NULL: available; 9007199254740991 (MAX_SAFE_INTEGER): away until turned off
  away_since         INTEGER,
  capacity_override  INTEGER,
  last_offer_at      INTEGER,     -- round-robin tie-break: longest since last offer goes first
  updated_at         INTEGER NOT NULL,
  updated_by         TEXT
);
CREATE INDEX rep_state_away_until ON rep_state (away_until) WHERE away_until IS NOT NULL;

-- Weighted round-robin (stride scheduling, src/domain/routing): each member's pass per team, and
-- the team's level, which is where a member returning or newly added starts.
CREATE TABLE round_robin_passes (
  team_id  TEXT NOT NULL,
  rep_id   TEXT NOT NULL,
  pass     REAL NOT NULL,
  PRIMARY KEY (team_id, rep_id)
) WITHOUT ROWID;
CREATE TABLE round_robin_levels (
  team_id  TEXT PRIMARY KEY,
  level    REAL NOT NULL
) WITHOUT ROWID;

-- Account owners set with /owner (the config's accounts: are read from the file).
CREATE TABLE account_owners (
  domain    TEXT PRIMARY KEY,
  owner_id  TEXT,                 -- NULL: explicitly cleared (`/owner acme.com none`), hides the config's owner
  set_by    TEXT NOT NULL,
  set_at    INTEGER NOT NULL
);

-- Engagement signals on a lead (LinkedIn, e-mail, WhatsApp, web).
CREATE TABLE signals (
  id          INTEGER PRIMARY KEY,
  lead_id     INTEGER NOT NULL REFERENCES leads (id),
  signal_key  TEXT,               -- the sender's id, for idempotency
  channel     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  at          INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  detail      TEXT
);
CREATE UNIQUE INDEX signals_key ON signals (signal_key) WHERE signal_key IS NOT NULL;
CREATE INDEX signals_lead ON signals (lead_id, at);

-- Outbox: every side effect (Slack call, webhook) written in the same transaction as the state
-- change that causes it, delivered after commit, in order per lead.
CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  lead_id          INTEGER REFERENCES leads (id),
  kind             TEXT    NOT NULL,  -- 'slack' (a stored Web API call) | 'card' (rendered at delivery) | 'webhook'
  method           TEXT    NOT NULL,  -- Slack Web API method, or the webhook event name
  payload          TEXT    NOT NULL,  -- JSON
  state            TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_error       TEXT,
  result           TEXT,              -- JSON: what the call returned that later effects need (e.g. ts)
  created_at       INTEGER NOT NULL,
  done_at          INTEGER
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_lead ON outbox (lead_id, id) WHERE state = 'pending';

-- Idempotency-Key header values of accepted /leads and /signals requests.
CREATE TABLE idempotency_keys (
  key          TEXT PRIMARY KEY,
  scope        TEXT    NOT NULL,    -- 'leads' | 'signals'
  request_hash TEXT    NOT NULL,    -- sha256 of the body: the same key with another body is refused
  lead_id      INTEGER NOT NULL REFERENCES leads (id),
  created_at   INTEGER NOT NULL
);

-- Slack deliveries already processed (event ids, interaction keys), so retries act once.
CREATE TABLE slack_deliveries (
  key          TEXT PRIMARY KEY,
  received_at  INTEGER NOT NULL
);
CREATE INDEX slack_deliveries_received ON slack_deliveries (received_at);
