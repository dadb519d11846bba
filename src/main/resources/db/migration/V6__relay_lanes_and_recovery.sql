-- The relay works each installation's commands per target in lanes of their own (issue 10): a lane claims
-- only its installation's and target's due commands, in id order.
ALTER TABLE outbox_command
    ADD KEY ix_outbox_lane (installation_id, target, state, id),
    ADD KEY ix_outbox_due (state, next_attempt_at);

-- quiet_until now keeps the CRM quiet (that CRM's own rate window: amoCRM 1 s, Bitrix24 the bucket's drain
-- time) and pact_quiet_until Pact's (its longest window, 60 s), so a takeover delays only the calls whose
-- limits the previous owner may still have used up.
ALTER TABLE installation_lease
    ADD COLUMN pact_quiet_until DATETIME(3) NULL;

-- A replica's stable name (the pod's host name, or the id kept in the data directory); owner stays one per
-- start. A restarted replica finds its previous start by name and resumes its leases at once.
ALTER TABLE replica
    ADD COLUMN name VARCHAR(64) NULL,
    ADD KEY ix_replica_name (name);
