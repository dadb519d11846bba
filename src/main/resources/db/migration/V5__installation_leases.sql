-- Replicas announce themselves so that the installations can be shared fairly among the live ones.
CREATE TABLE replica (
    owner      VARCHAR(64) NOT NULL PRIMARY KEY,
    seen_until DATETIME(3) NOT NULL,
    started_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- handover_at: the owner is handing the installation over and claims none of its work any more; the row is
-- released once its work in flight is done. quiet_until: a new owner makes no outbound call for the
-- installation before it, so the previous owner's calls still inside a rate-limit window are not doubled.
ALTER TABLE installation_lease
    ADD COLUMN handover_at DATETIME(3) NULL,
    ADD COLUMN quiet_until DATETIME(3) NULL,
    ADD KEY ix_installation_lease_owner (owner, lease_until),
    ADD KEY ix_installation_lease_until (lease_until);
