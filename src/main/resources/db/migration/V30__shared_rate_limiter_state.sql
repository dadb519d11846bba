-- Issue 10: the CRMs count every call of an account, whichever replica made it (a widget read on one, the relay on
-- another), so the limiters' state lives here, one row per limited (target, operation, account), changed with an
-- optimistic version check. The account is hashed: a key of bounded length that names no token.
CREATE TABLE rate_limiter_state (
    limiter_key VARCHAR(120)  NOT NULL PRIMARY KEY,
    state       VARCHAR(4000) NOT NULL,
    version     BIGINT        NOT NULL,
    updated_at  DATETIME(6)   NOT NULL,
    KEY ix_rate_limiter_state_updated (updated_at)
) ENGINE = InnoDB DEFAULT CHARSET = ascii COLLATE = ascii_bin;
