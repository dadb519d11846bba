-- Timeline comments the connector wrote in a Bitrix24 portal. Bitrix24 raises ONCRMTIMELINECOMMENTADD for
-- them as for a person's comment (bitrix24.md §5.2, §8.3 q6), so their ids are how an echo is recognised.
CREATE TABLE bitrix24_timeline_entry (
    installation_id BIGINT      NOT NULL,
    entry_id        VARCHAR(64) NOT NULL,
    created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (installation_id, entry_id),
    CONSTRAINT fk_b24_entry_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Messages Bitrix24 handed to the connector's messageservice sender (the card's SMS/WhatsApp block and automation
-- rules, bitrix24.md §6.3): Bitrix24's message_id and the "write first" request it became, so the Pact message's
-- statuses go back with messageservice.message.status.update.
CREATE TABLE bitrix24_sender_message (
    installation_id   BIGINT       NOT NULL,
    bitrix_message_id VARCHAR(64)  NOT NULL,
    request_id        VARCHAR(100) NOT NULL,
    created_at        DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (installation_id, bitrix_message_id),
    KEY ix_b24_sender_recent (installation_id, created_at),
    CONSTRAINT fk_b24_sender_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
