-- When a lead first got an owner (claim, take, assignment or reassignment), kept through later
-- reassignments: `claimed_at` is when the CURRENT owner got it (the App Home's "claimed … ago").
-- Write-back's time to claim and the like are measured to this moment.
ALTER TABLE leads ADD COLUMN first_owned_at INTEGER;
UPDATE leads SET first_owned_at = (
  SELECT min(h.at) FROM lead_history h WHERE h.lead_id = leads.id AND h.event IN ('claimed', 'assigned', 'reassigned'))
WHERE claimed_at IS NOT NULL;
