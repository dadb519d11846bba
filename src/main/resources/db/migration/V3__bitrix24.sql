-- Timeline comments the connector wrote in a Bitrix24 portal. Bitrix24 raises ONCRMTIMELINECOMMENTADD for
-- them as for a person's comment (bitrix24.md §5.2, §8.3 q6), so their ids are how an echo is recognised.
CREATE TABLE bitrix24_timeline_entry (
    installation_id BIGINT      NOT NULL,
    entry_id        VARCHAR(64) NOT NULL,
    created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (installation_id, entry_id),
    CONSTRAINT fk_b24_entry_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
