-- What several instances on one database share besides the rows they claim.
-- Forward-only: never edit a released migration, add 0004_… instead.

-- App Homes. A user's Home is republished when their state changes, once they have opened it; the
-- change may happen on one instance and the Home have been opened on another. Every instance marks
-- the users whose state it changed (`touched_at`, kept at the first mark until published), and each
-- marked user is taken by one instance (UPDATE … WHERE user_id IN (SELECT … FOR UPDATE SKIP LOCKED)),
-- which clears the mark before it renders: a change after that marks the user again.
CREATE TABLE app_homes (
  user_id     TEXT   PRIMARY KEY,
  opened_at   BIGINT NOT NULL,  -- the user's last app_home_opened
  touched_at  BIGINT            -- NULL: published since the last change; set: to be republished
);
CREATE INDEX app_homes_touched ON app_homes (touched_at) WHERE touched_at IS NOT NULL;

-- Wake-ups. An instance that writes outbox rows or offers (which carry deadlines and reminder times)
-- wakes the other instances' outbox workers and deadline timers at its commit, instead of leaving
-- them to their next poll: NOTIFY is delivered at commit, never for a rollback, and PostgreSQL folds
-- the notifications of one transaction on one channel with one payload into one. Statement-level:
-- one per INSERT statement (INSERT … ON CONFLICT DO UPDATE fires it too), whatever the row count.
CREATE FUNCTION leadrelay_notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('leadrelay_outbox', '');
  RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_wakes_instances AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION leadrelay_notify_outbox();

CREATE FUNCTION leadrelay_notify_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('leadrelay_deadline', '');
  RETURN NULL;
END;
$$;
CREATE TRIGGER offers_wake_instances AFTER INSERT ON offers
  FOR EACH STATEMENT EXECUTE FUNCTION leadrelay_notify_deadline();
