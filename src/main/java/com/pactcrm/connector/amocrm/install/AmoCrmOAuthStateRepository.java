package com.pactcrm.connector.amocrm.install;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;

@JdbcRepository(dialect = Dialect.MYSQL)
interface AmoCrmOAuthStateRepository extends GenericRepository<AmoCrmOAuthState, String> {

    @Query("INSERT INTO amocrm_oauth_state (state_hash, created_at) VALUES (:stateHash, :createdAt)")
    void issue(String stateHash, Instant createdAt);

    /** Marks the state used; 1 when it was issued after {@code issuedAfter} and not used before. */
    @Query("""
            UPDATE amocrm_oauth_state SET consumed_at = :now
            WHERE state_hash = :stateHash AND consumed_at IS NULL AND created_at > :issuedAfter""")
    int consume(String stateHash, Instant issuedAfter, Instant now);

    @Query("DELETE FROM amocrm_oauth_state WHERE created_at < :before")
    int deleteIssuedBefore(Instant before);
}
