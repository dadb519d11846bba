package com.pactcrm.connector.amocrm.widget;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;

@JdbcRepository(dialect = Dialect.MYSQL)
interface AmoCrmUsedTokenRepository extends GenericRepository<AmoCrmUsedToken, String> {

    /**
     * 1 for the first use of a jti, 0 when a row has it already (on any replica). IGNORE can only skip a duplicate
     * key here: the hash is always 64 hex characters and the time always valid.
     */
    @Query("INSERT IGNORE INTO used_token_id (jti_hash, expires_at) VALUES (:jtiHash, :expiresAt)")
    int insertIfAbsent(String jtiHash, Instant expiresAt);

    @Query("DELETE FROM used_token_id WHERE expires_at < :before ORDER BY expires_at LIMIT :limit")
    int deleteExpiredBefore(Instant before, int limit);
}
