-- Issue 15: an unanswered conversation becomes a CRM task (amoCRM task, Bitrix24 to-do) for each linked entity.
-- One row per task the connector opened; at most one OPEN row per conversation and entity (open_key is NULL once
-- the row is closed, and NULLs do not collide in a unique key), so a repeated "unreplied" never opens a second task.
CREATE TABLE crm_task (
    id                   BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    installation_id      BIGINT       NOT NULL,
    pact_conversation_id BIGINT       NOT NULL,
    crm_entity_type      VARCHAR(16)  NOT NULL,
    crm_entity_id        VARCHAR(64)  NOT NULL,
    crm_task_id          VARCHAR(64)  NULL,
    state                VARCHAR(16)  NOT NULL,
    open_key             VARCHAR(120) NULL,
    due_at               DATETIME(3)  NOT NULL,
    created_at           DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    closed_at            DATETIME(3)  NULL,
    UNIQUE KEY ux_crm_task_open (installation_id, open_key),
    KEY ix_crm_task_conversation (installation_id, pact_conversation_id),
    CONSTRAINT fk_crm_task_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
);
