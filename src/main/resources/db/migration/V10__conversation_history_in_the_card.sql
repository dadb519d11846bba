-- Issue 14: the whole conversation in the CRM card. message_link already has one row per message the connector
-- saw; it now keeps what the card shows of it: the full text, who wrote it, its attachments, and whether it came
-- from Pact's history (its status will not change: no webhook follows a back-filled message).
ALTER TABLE message_link
    ADD COLUMN text           TEXT         NULL,
    ADD COLUMN author_name    VARCHAR(255) NULL,
    ADD COLUMN crm_user_id    VARCHAR(64)  NULL,
    ADD COLUMN crm_user_name  VARCHAR(255) NULL,
    ADD COLUMN attachments    JSON         NULL,
    ADD COLUMN from_history   BOOLEAN      NOT NULL DEFAULT FALSE;

-- How far a conversation's history was back-filled from GET /conversations/{id}/messages (page by page, each page
-- read once): opening a card costs at most one Pact read, and never again once the history is complete.
CREATE TABLE conversation_history (
    installation_id      BIGINT      NOT NULL,
    pact_conversation_id BIGINT      NOT NULL,
    pages_read           INT         NOT NULL DEFAULT 0,
    complete             BOOLEAN     NOT NULL DEFAULT FALSE,
    read_at              DATETIME(3) NOT NULL,
    PRIMARY KEY (installation_id, pact_conversation_id),
    CONSTRAINT fk_conversation_history_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
