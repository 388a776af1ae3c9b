-- leadrelay schema for PostgreSQL, version 1: the SQLite schema of db/migrations/0001-0004 as one,
-- plus what several instances sharing one database need (per-row outbox leases, the ordering lane,
-- shared Slack pacing). The SQLite instance lease (one writer) has no counterpart here: every
-- instance serves, and work is claimed row by row (FOR UPDATE SKIP LOCKED, with leases that expire).
--
-- Types: times are epoch milliseconds (BIGINT), as on SQLite, so both stores hand the code the same
-- numbers. Ids are identity columns (GENERATED ALWAYS: only the database picks them; a copy from
-- SQLite inserts with OVERRIDING SYSTEM VALUE and then moves the sequence past the highest id).
-- JSON documents are `json`, not `jsonb`: `json` keeps the text as written, so the order of keys
-- the code wrote is the order it reads back (a history entry's details, a lead's fields are shown
-- in that order, as on SQLite), while SQL can still read inside it (->, ->>: the export, the
-- failing webhooks). Nothing here needs jsonb's indexing or containment operators.
-- Forward-only: never edit a released migration, add 0002_… instead.

-- Leads. `id` is the n of the reference L-<n>: a sequence never hands out a number twice (a
-- rolled-back insert leaves a gap), so a reference is never reused.
CREATE TABLE leads (
  id               BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  external_id      TEXT,
  source           TEXT    NOT NULL CHECK (source IN ('form', 'linkedin', 'email', 'whatsapp', 'other')),
  email_key        TEXT,             -- normalized e-mail (lower-case, trimmed)
  linkedin_key     TEXT,             -- normalized LinkedIn URL (no scheme, www., query, trailing slash)
  domain           TEXT,             -- company domain (given, or from a non-free-mail e-mail)
  payload          JSON    NOT NULL, -- the validated lead (as routed: with what enrichment filled in)
  state            TEXT    NOT NULL DEFAULT 'received'
                   CHECK (state IN ('received', 'offered', 'claimed', 'done', 'queued', 'escalated', 'in_sequence')),
  owner_id         TEXT,             -- Slack user id of the rep who owns it (claimed/assigned)
  team_id          TEXT,             -- team that serves it, once routed
  sequence_id      TEXT,             -- the sequence it was sent to (state in_sequence)
  routed_by        TEXT,             -- the rule that fired: a rule name, 'fallback' or 'pre-routed'
  version          INTEGER NOT NULL DEFAULT 0, -- fencing token: bumped on every state change
  trace            JSON,             -- routing trace
  enrichment       JSON,             -- which company fields enrichment filled and from where; NULL: not enriched
  received_at      BIGINT  NOT NULL,
  updated_at       BIGINT  NOT NULL,
  first_offered_at BIGINT,
  claimed_at       BIGINT,           -- when the CURRENT owner got it
  first_owned_at   BIGINT,           -- when it first got an owner (kept through reassignments)
  done_at          BIGINT,
  -- Escalation to a manager: why, where the message is, when it was last pinged.
  escalation_reason       TEXT CHECK (escalation_reason IN ('max_offers', 'queued')),
  escalated_at            BIGINT,
  escalation_pings        INTEGER NOT NULL DEFAULT 0,
  escalation_next_ping_at BIGINT,
  escalation_channel      TEXT,
  escalation_ts           TEXT
);
CREATE UNIQUE INDEX leads_external_id ON leads (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX leads_email_key ON leads (email_key, received_at) WHERE email_key IS NOT NULL;
CREATE INDEX leads_linkedin_key ON leads (linkedin_key, received_at) WHERE linkedin_key IS NOT NULL;
CREATE INDEX leads_state ON leads (state, received_at);
CREATE INDEX leads_team_state ON leads (team_id, state) WHERE team_id IS NOT NULL;
CREATE INDEX leads_owner ON leads (owner_id, state) WHERE owner_id IS NOT NULL;
CREATE INDEX leads_received_at ON leads (received_at, id);  -- SQLite's (received_at) holds the rowid, the id, too
CREATE INDEX leads_escalation_ping ON leads (escalation_next_ping_at) WHERE escalation_next_ping_at IS NOT NULL;

-- Append-only history of every transition: who, when, why.
CREATE TABLE lead_history (
  id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lead_id  BIGINT NOT NULL REFERENCES leads (id),
  at       BIGINT NOT NULL,
  actor    TEXT   NOT NULL,  -- 'system', a Slack user id, or 'api'
  event    TEXT   NOT NULL,  -- received, seen_again, routed, offered, claimed, passed, expired, ...
  detail   JSON
);
CREATE INDEX lead_history_lead ON lead_history (lead_id, id);
CREATE FUNCTION lead_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'lead_history is append-only' USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER lead_history_no_update_or_delete BEFORE UPDATE OR DELETE ON lead_history
  FOR EACH ROW EXECUTE FUNCTION lead_history_append_only();
-- TRUNCATE fires no row trigger: refused on its own.
CREATE TRIGGER lead_history_no_truncate BEFORE TRUNCATE ON lead_history
  FOR EACH STATEMENT EXECUTE FUNCTION lead_history_append_only();

-- Offers: one row per time a lead is offered to a rep. At most one pending offer per lead.
CREATE TABLE offers (
  id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lead_id      BIGINT  NOT NULL REFERENCES leads (id),
  rep_id       TEXT    NOT NULL,
  attempt      INTEGER NOT NULL,  -- 1 for the first offer of the lead, 2 for the next, ...
  state        TEXT    NOT NULL DEFAULT 'pending'
               CHECK (state IN ('pending', 'claimed', 'passed', 'expired', 'withdrawn')),
  version      INTEGER NOT NULL DEFAULT 0,
  offered_at   BIGINT  NOT NULL,
  deadline_at  BIGINT  NOT NULL,
  remind_at    BIGINT,
  reminded_at  BIGINT,
  resolved_at  BIGINT,
  reason       TEXT,
  why          TEXT,              -- the one-line "Why you" shown on the card
  channel_id   TEXT,              -- the card's DM channel, once posted
  message_ts   TEXT,              -- the card's ts, once posted
  reminder_ts  TEXT               -- where the reminder was posted in the card's thread
);
CREATE UNIQUE INDEX offers_one_pending_per_lead ON offers (lead_id) WHERE state = 'pending';
CREATE INDEX offers_pending_deadline ON offers (deadline_at) WHERE state = 'pending';
CREATE INDEX offers_pending_remind ON offers (remind_at) WHERE state = 'pending' AND reminded_at IS NULL;
CREATE INDEX offers_rep ON offers (rep_id, offered_at);
CREATE INDEX offers_offered_at ON offers (offered_at);
CREATE INDEX offers_lead ON offers (lead_id, attempt);

-- Runtime state of a rep set from Slack; wins over the config file until changed back.
CREATE TABLE rep_state (
  rep_id             TEXT    PRIMARY KEY,
  away_until         BIGINT,      -- NULL: available; 9007199254740991 (MAX_SAFE_INTEGER): away until turned off
  away_since         BIGINT,
  capacity_override  INTEGER,
  last_offer_at      BIGINT,      -- round-robin tie-break: longest since last offer goes first
  updated_at         BIGINT  NOT NULL,
  updated_by         TEXT
);
CREATE INDEX rep_state_away_until ON rep_state (away_until) WHERE away_until IS NOT NULL;

-- Weighted round-robin (stride scheduling): each member's pass per team, and the team's level,
-- where a member returning or newly added starts.
CREATE TABLE round_robin_passes (
  team_id  TEXT             NOT NULL,
  rep_id   TEXT             NOT NULL,
  pass     DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (team_id, rep_id)
);
CREATE TABLE round_robin_levels (
  team_id  TEXT             PRIMARY KEY,
  level    DOUBLE PRECISION NOT NULL
);

-- Account owners set with /owner (the config's accounts: are read from the file).
CREATE TABLE account_owners (
  domain    TEXT   PRIMARY KEY,
  owner_id  TEXT,                 -- NULL: explicitly cleared (`/owner acme.com none`), hides the config's owner
  set_by    TEXT   NOT NULL,
  set_at    BIGINT NOT NULL
);

-- Engagement signals on a lead (LinkedIn, e-mail, WhatsApp, web).
CREATE TABLE signals (
  id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lead_id     BIGINT NOT NULL REFERENCES leads (id),
  signal_key  TEXT,               -- the sender's id, for idempotency
  channel     TEXT   NOT NULL,
  kind        TEXT   NOT NULL,
  at          BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  detail      JSON
);
CREATE UNIQUE INDEX signals_key ON signals (signal_key) WHERE signal_key IS NOT NULL;
CREATE INDEX signals_lead ON signals (lead_id, at);

-- Outbox: every side effect (Slack call, webhook) written in the same transaction as the state
-- change that causes it, delivered after commit, in order per lead and lane.
--
-- Several instances deliver from it. A worker claims due rows in a short transaction and leases
-- them (leased_by, lease_until), then delivers after commit; the lease keeps other instances off a
-- row while it is in flight, and lets one take it over when the instance that leased it died:
--   UPDATE outbox SET leased_by = $me, lease_until = $now + $ttl WHERE id IN (
--     SELECT id FROM outbox o
--     WHERE state = 'pending' AND greatest(next_attempt_at, coalesce(lease_until, 0)) <= $now
--       AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending' AND p.lead_id = o.lead_id
--                       AND p.lane = o.lane AND p.id < o.id)
--     ORDER BY priority, greatest(next_attempt_at, coalesce(lease_until, 0)), id
--     LIMIT $n FOR UPDATE SKIP LOCKED)
-- `greatest(next_attempt_at, coalesce(lease_until, 0))` is when a row is next due: its attempt time,
-- or the end of its lease if later (leased: not due; lease expired: due again). outbox_due indexes
-- exactly that, so "pending, due now, not leased or lease expired" is one index range per priority.
CREATE TABLE outbox (
  id               BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lead_id          BIGINT  REFERENCES leads (id),
  kind             TEXT    NOT NULL,  -- 'card' (rendered at delivery) | 'webhook' | 'slack' (a stored Web API call)
  method           TEXT    NOT NULL,  -- the effect (post_offer_card, update_escalation, …), a Web API method, or the webhook event
  -- The ordering lane within a lead: a row waits only for the lead's earlier pending rows of the
  -- same lane (Slack posts; card updates, which never hold others back; `webhook:<url>` per receiver).
  lane             TEXT    NOT NULL,
  payload          JSON    NOT NULL,
  state            TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  priority         INTEGER NOT NULL DEFAULT 1,  -- 0: a person is waiting for it (the answer to their click), 1: background
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  BIGINT  NOT NULL,
  leased_by        TEXT,              -- the instance delivering it now (its name, as in /healthz)
  lease_until      BIGINT,            -- until when; past it, another instance may take the row over
  -- The leadrelay message the row posts or updates (`offer:12`, `escalation:17`, `reminder:12`): an
  -- update waits for its message's post, and a message has at most one pending update, which a later
  -- change joins (`changes` + 1) instead of adding a row.
  message_key      TEXT,
  changes          INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT,
  result           JSON,              -- what the call returned that later effects need (e.g. ts)
  created_at       BIGINT  NOT NULL,
  done_at          BIGINT,
  CHECK ((leased_by IS NULL) = (lease_until IS NULL))
);
CREATE INDEX outbox_due ON outbox (priority, (greatest(next_attempt_at, coalesce(lease_until, 0))), id) WHERE state = 'pending';
CREATE INDEX outbox_lane ON outbox (lead_id, lane, id) WHERE state = 'pending';
CREATE INDEX outbox_message ON outbox (message_key, id) WHERE state = 'pending' AND message_key IS NOT NULL;
-- An instance stopping cleanly hands its leases back at once (UPDATE … WHERE leased_by = $me).
CREATE INDEX outbox_leased ON outbox (leased_by) WHERE state = 'pending' AND leased_by IS NOT NULL;

-- The response_url of the latest click on each message: the message is replaced through it
-- (Slack allows 5 uses within 30 minutes of the click) instead of chat.update. `uses` counts the posts made with it.
CREATE TABLE response_urls (
  message_key  TEXT    PRIMARY KEY,
  url          TEXT    NOT NULL,
  received_at  BIGINT  NOT NULL,
  uses         INTEGER NOT NULL DEFAULT 0
);

-- Idempotency-Key header values of accepted /leads and /signals requests.
CREATE TABLE idempotency_keys (
  key          TEXT   PRIMARY KEY,
  scope        TEXT   NOT NULL,    -- 'leads' | 'signals'
  request_hash TEXT   NOT NULL,    -- sha256 of the body: the same key with another body is refused
  lead_id      BIGINT NOT NULL REFERENCES leads (id),
  created_at   BIGINT NOT NULL
);

-- Slack deliveries already processed (event ids, interaction keys), so retries act once, whichever
-- instance a retry reaches.
CREATE TABLE slack_deliveries (
  key          TEXT   PRIMARY KEY,
  received_at  BIGINT NOT NULL
);
CREATE INDEX slack_deliveries_received ON slack_deliveries (received_at);

-- Slack's rate limits are per workspace, not per instance: the pacing budget is shared here. One
-- row per pacing key: a method paced for the whole workspace (`chat.update`, `views.publish`) or a
-- method and channel (`chat.postMessage:D0123`, about one message a second per channel). It holds the
-- token bucket of the calls actually made: `tokens` left as of `refilled_at` (refilled at the
-- method's rate up to its burst when next read), and how many slots are `booked` for waiting calls.
-- An instance reads and writes its key's row with SELECT … FOR UPDATE in a short transaction, so
-- two instances never spend the same token.
CREATE TABLE slack_pacing (
  pacing_key   TEXT             PRIMARY KEY,
  tokens       DOUBLE PRECISION NOT NULL,
  refilled_at  BIGINT           NOT NULL,
  booked       INTEGER          NOT NULL DEFAULT 0 CHECK (booked >= 0)
);
-- The slot booked for a waiting call (`ticket`: its outbox row): the next caller queues behind it,
-- and the call goes first when it comes back at its slot. Slots nobody came back for are swept a
-- minute after their time. Renaming a key (a user id learned to be a DM channel) carries its slots.
CREATE TABLE slack_pacing_slots (
  pacing_key  TEXT   NOT NULL REFERENCES slack_pacing (pacing_key) ON UPDATE CASCADE ON DELETE CASCADE,
  ticket      BIGINT NOT NULL,
  slot_at     BIGINT NOT NULL,
  PRIMARY KEY (pacing_key, ticket)
);
CREATE INDEX slack_pacing_slots_at ON slack_pacing_slots (slot_at);
-- A user id posted to is that user's DM (U0ALICE -> D0…): both names are one channel to Slack's
-- per-channel limit, learned from chat.postMessage's answers, whichever instance made the call.
CREATE TABLE slack_channel_aliases (
  given       TEXT   PRIMARY KEY,
  channel     TEXT   NOT NULL,
  learned_at  BIGINT NOT NULL
);
