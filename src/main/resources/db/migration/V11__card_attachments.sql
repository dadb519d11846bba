-- Files a CRM user uploaded to Pact from the card (issue 14): a reply may name only an attachment its own
-- installation uploaded; any other id is refused before anything is sent.
CREATE TABLE card_attachment (
    installation_id    BIGINT       NOT NULL,
    pact_attachment_id BIGINT       NOT NULL,
    name               VARCHAR(255) NULL,
    mime_type          VARCHAR(127) NULL,
    size               BIGINT       NULL,
    crm_user_id        VARCHAR(64)  NULL,
    created_at         DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (installation_id, pact_attachment_id),
    CONSTRAINT fk_card_attachment_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
