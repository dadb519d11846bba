-- Issue 15: the Pact client-card comment as the connector last composed it, per conversation. Pact's API can write
-- the comment (v1 PUT …/conversations/{id}/note) but not read it back, so a new CRM note is put in front of the
-- notes written before (newest first, the oldest dropped when the whole would not fit) instead of replacing them.
CREATE TABLE pact_card_comment (
    installation_id      BIGINT      NOT NULL,
    pact_conversation_id BIGINT      NOT NULL,
    text                 TEXT        NOT NULL,
    updated_at           DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (installation_id, pact_conversation_id),
    CONSTRAINT fk_card_comment_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
);
