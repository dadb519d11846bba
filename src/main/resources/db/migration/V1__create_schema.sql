-- One connected CRM account (an amoCRM account or a Bitrix24 portal) and its Pact company.
CREATE TABLE installation (
    id                     BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    crm                    VARCHAR(16)  NOT NULL,
    crm_account_id         VARCHAR(64)  NOT NULL,
    crm_host               VARCHAR(255) NULL,
    status                 VARCHAR(32)  NOT NULL,
    hook_key               VARCHAR(64)  NOT NULL,
    pact_hook_key          VARCHAR(64)  NOT NULL,
    access_token_enc       TEXT         NULL,
    refresh_token_enc      TEXT         NULL,
    token_expires_at       DATETIME(3)  NULL,
    application_token_enc  TEXT         NULL,
    pact_company_id        BIGINT       NULL,
    pact_token_enc         TEXT         NULL,
    pact_webhook_id        BIGINT       NULL,
    settings               JSON         NULL,
    version                BIGINT       NOT NULL DEFAULT 0,
    created_at             DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at             DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_installation_account (crm, crm_account_id),
    UNIQUE KEY uq_installation_hook_key (hook_key),
    UNIQUE KEY uq_installation_pact_hook_key (pact_hook_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- What an admin must know about an installation: token states, billing, channels, webhooks.
CREATE TABLE installation_health (
    installation_id BIGINT       NOT NULL,
    component       VARCHAR(64)  NOT NULL,
    state           VARCHAR(32)  NOT NULL,
    detail          VARCHAR(1000) NULL,
    updated_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (installation_id, component),
    CONSTRAINT fk_health_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- CRM user <-> Pact operator.
CREATE TABLE user_mapping (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    installation_id BIGINT       NOT NULL,
    crm_user_id     VARCHAR(64)  NOT NULL,
    crm_user_name   VARCHAR(255) NULL,
    pact_user_id    BIGINT       NULL,
    pact_user_name  VARCHAR(255) NULL,
    source          VARCHAR(16)  NOT NULL,
    updated_at      DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_user_mapping_crm (installation_id, crm_user_id),
    KEY ix_user_mapping_pact (installation_id, pact_user_id),
    CONSTRAINT fk_user_mapping_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Pact operators seen on outgoing messages (Pact's API has no endpoint that lists them).
CREATE TABLE pact_operator (
    installation_id BIGINT       NOT NULL,
    pact_user_id    BIGINT       NOT NULL,
    name            VARCHAR(255) NULL,
    last_seen_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (installation_id, pact_user_id),
    CONSTRAINT fk_pact_operator_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Pact conversation <-> CRM entity (lead, deal, contact).
CREATE TABLE conversation_link (
    id                   BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    installation_id      BIGINT       NOT NULL,
    pact_conversation_id BIGINT       NOT NULL,
    crm_entity_type      VARCHAR(16)  NOT NULL,
    crm_entity_id        VARCHAR(64)  NOT NULL,
    provider             VARCHAR(32)  NULL,
    sender_public_id     VARCHAR(128) NULL,
    sender_name          VARCHAR(255) NULL,
    operational_state    VARCHAR(16)  NULL,
    replied_state        VARCHAR(16)  NULL,
    crm_responsible_id   VARCHAR(64)  NULL,
    created_at           DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at           DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id),
    KEY ix_conversation_link_entity (installation_id, crm_entity_type, crm_entity_id),
    CONSTRAINT fk_conversation_link_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Pact message <-> its CRM timeline entry and its latest (monotonic) status.
CREATE TABLE message_link (
    id                   BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    installation_id      BIGINT        NOT NULL,
    pact_message_id      BIGINT        NOT NULL,
    pact_conversation_id BIGINT        NOT NULL,
    external_id          VARCHAR(255)  NULL,
    income               BOOLEAN       NOT NULL DEFAULT FALSE,
    status               VARCHAR(16)   NOT NULL,
    status_details       VARCHAR(2000) NULL,
    text_preview         VARCHAR(500)  NULL,
    crm_entry_id         VARCHAR(64)   NULL,
    pact_created_at      DATETIME(3)   NULL,
    created_at           DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    updated_at           DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_message_link (installation_id, pact_message_id),
    KEY ix_message_link_conversation (installation_id, pact_conversation_id),
    CONSTRAINT fk_message_link_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Inbound journal: every accepted webhook, raw, deduplicated; processed exactly once.
CREATE TABLE inbound_event (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    installation_id BIGINT        NOT NULL,
    source          VARCHAR(16)   NOT NULL,
    dedupe_key      VARCHAR(128)  NOT NULL,
    content_type    VARCHAR(128)  NULL,
    headers         TEXT          NULL,
    body            MEDIUMBLOB    NOT NULL,
    state           VARCHAR(16)   NOT NULL,
    attempts        INT           NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3)   NOT NULL,
    lease_owner     VARCHAR(64)   NULL,
    lease_until     DATETIME(3)   NULL,
    last_error      VARCHAR(2000) NULL,
    outcome         VARCHAR(255)  NULL,
    received_at     DATETIME(3)   NOT NULL,
    processed_at    DATETIME(3)   NULL,
    UNIQUE KEY uq_inbound_dedupe (installation_id, source, dedupe_key),
    -- The claim reads due rows in id order: (state, id) lets it stop after LIMIT rows instead of
    -- sorting the whole backlog.
    KEY ix_inbound_claim (state, id),
    KEY ix_inbound_lease (state, lease_until),
    CONSTRAINT fk_inbound_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Outbox: every call to Pact or a CRM, with its idempotency key and the remote id it produced.
CREATE TABLE outbox_command (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    installation_id BIGINT        NOT NULL,
    target          VARCHAR(16)   NOT NULL,
    kind            VARCHAR(48)   NOT NULL,
    idempotency_key VARCHAR(191)  NOT NULL,
    coalesce_key    VARCHAR(191)  NULL,
    payload         TEXT          NOT NULL,
    state           VARCHAR(16)   NOT NULL,
    attempts        INT           NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(3)   NOT NULL,
    lease_owner     VARCHAR(64)   NULL,
    lease_until     DATETIME(3)   NULL,
    last_error      VARCHAR(2000) NULL,
    remote_id       VARCHAR(128)  NULL,
    first_sent_at   DATETIME(3)   NULL,
    ambiguous       BOOLEAN       NOT NULL DEFAULT FALSE,
    source_event_id BIGINT        NULL,
    origin_at       DATETIME(3)   NOT NULL,
    created_at      DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    done_at         DATETIME(3)   NULL,
    UNIQUE KEY uq_outbox_idempotency (installation_id, idempotency_key),
    KEY ix_outbox_claim (state, id),
    KEY ix_outbox_lease (state, lease_until),
    KEY ix_outbox_coalesce (installation_id, coalesce_key, state),
    CONSTRAINT fk_outbox_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Which replica owns an installation's dispatching and relaying.
CREATE TABLE installation_lease (
    installation_id BIGINT      NOT NULL PRIMARY KEY,
    owner           VARCHAR(64) NOT NULL,
    lease_until     DATETIME(3) NOT NULL,
    acquired_at     DATETIME(3) NOT NULL,
    CONSTRAINT fk_lease_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- What happened to each event and command, in words an admin can search.
CREATE TABLE sync_log (
    id                   BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    installation_id      BIGINT        NOT NULL,
    at                   DATETIME(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    kind                 VARCHAR(48)   NOT NULL,
    inbound_event_id     BIGINT        NULL,
    outbox_command_id    BIGINT        NULL,
    pact_conversation_id BIGINT        NULL,
    phone                VARCHAR(32)   NULL,
    outcome              VARCHAR(16)   NOT NULL,
    detail               VARCHAR(1000) NULL,
    KEY ix_sync_log_installation (installation_id, at),
    KEY ix_sync_log_event (inbound_event_id),
    KEY ix_sync_log_conversation (installation_id, pact_conversation_id),
    KEY ix_sync_log_phone (installation_id, phone),
    CONSTRAINT fk_sync_log_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE quick_reply_template (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    installation_id BIGINT       NOT NULL,
    title           VARCHAR(255) NOT NULL,
    body            TEXT         NOT NULL,
    position        INT          NOT NULL DEFAULT 0,
    CONSTRAINT fk_template_installation FOREIGN KEY (installation_id) REFERENCES installation (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
