-- The jti of every amoCRM disposable widget token that opened a session (amocrm.md §3.6: nothing shows amoCRM
-- enforcing single use, so the connector does). Shared by every replica: the first INSERT of a jti wins, and a
-- duplicate key is a replay, whichever replica the token is shown to. A row is needed only while its token could
-- still pass the expiry check (expires_at = exp + leeway); later ones are purged in batches. The jti is kept as
-- its SHA-256 in hex: a fixed-size key, whatever amoCRM puts in the claim.
CREATE TABLE used_token_id (
    jti_hash   CHAR(64)    NOT NULL PRIMARY KEY,
    expires_at DATETIME(3) NOT NULL,
    KEY ix_used_token_id_expires (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Columns compared with what a request brings now compare byte for byte. Under the tables' utf8mb4_unicode_ci,
-- 'ABC', 'abc' and 'àbc' were one hook key (a webhook URL's only credential) and one member_id.
--
-- utf8mb4_bin exists on MySQL 8 and MariaDB alike, and is PAD SPACE on both: 'abc ' still equals 'abc'. The NO
-- PAD binary collations have a different name on each (MySQL 8 utf8mb4_0900_bin, MariaDB utf8mb4_nopad_bin), and
-- one migration has to run on both (production MySQL 8, tests on MariaDB 11.4). Trailing spaces are therefore
-- dealt with at the edge: a hook key found in the database must equal the request's exactly (InstallationHookKeys),
-- a member_id is made canonical (32 lowercase hex digits, Bitrix24MemberId) before any lookup, and an amoCRM
-- account id comes from a signed token, an HMAC-checked request or amoCRM itself.
--
-- Not changed, on purpose: amocrm_oauth_state.state_hash is our own lowercase SHA-256 hex of the request's state,
-- so the request never meets the column; crm_entity_id and user ids are validated as decimal numbers first; the
-- journal's and outbox's keys are SHA-256 hex or built from such ids, and those tables are the largest (changing
-- an indexed column's collation copies the table while the rollout waits).

-- Bitrix24 issues member_ids lowercase and the edge uses them lowercase; a row stored in another spelling before
-- the edge did so would be unreachable once the comparison is exact. The unique key was case-insensitive, so no
-- two rows can become equal here.
UPDATE installation SET crm_account_id = LOWER(TRIM(crm_account_id)) WHERE crm = 'BITRIX24';

ALTER TABLE installation
    MODIFY crm_account_id    VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    MODIFY hook_key          VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    MODIFY pact_hook_key     VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    -- Compared in SQL (a refresh failure is recorded only while the failed token is still the stored one):
    -- ciphertexts in base64, where case matters.
    MODIFY refresh_token_enc TEXT        CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
