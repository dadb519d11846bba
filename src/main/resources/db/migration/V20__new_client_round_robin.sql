-- Issue 15: new clients' leads/deals handed out in turn over the users an admin chose. One row per
-- installation; the dispatcher bumps it under its row lock inside the event's transaction.
CREATE TABLE new_client_round_robin (
    installation_id BIGINT       NOT NULL PRIMARY KEY,
    turns           BIGINT       NOT NULL,
    updated_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    CONSTRAINT fk_round_robin_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
);
