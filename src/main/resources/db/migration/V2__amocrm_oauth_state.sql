-- One row per "connect amoCRM" button click: the callback of the button flow must bring back a state we
-- issued, unused and recent (amocrm.md §1.2). Only the hash is kept.
CREATE TABLE amocrm_oauth_state (
    state_hash  CHAR(64)    NOT NULL PRIMARY KEY,
    created_at  DATETIME(3) NOT NULL,
    consumed_at DATETIME(3) NULL,
    KEY ix_amocrm_oauth_state_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
