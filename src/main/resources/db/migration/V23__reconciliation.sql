-- Issue 15: the periodic catch-up per installation (Pact conversations updated since the last event seen; Bitrix24
-- offline events). One row per installation: when it last ran, what it recovered (for the health page), and up to when
-- Pact's conversations are known to be caught up (the next run looks at conversations updated after it).
CREATE TABLE reconciliation (
    installation_id BIGINT       NOT NULL PRIMARY KEY,
    last_run_at     DATETIME(3)  NOT NULL,
    last_outcome    VARCHAR(16)  NOT NULL,
    last_recovered  INT          NOT NULL,
    total_recovered BIGINT       NOT NULL,
    last_detail     VARCHAR(500) NULL,
    covered_until   DATETIME(3)  NULL,
    CONSTRAINT fk_reconciliation_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
);
