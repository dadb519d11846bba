package com.pactcrm.connector.chat;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.util.List;

/**
 * Pact operators learned from outgoing-message webhooks: Pact has no endpoint listing them
 * (pact-api.md §2.1), yet the user mapping needs their ids for {@code assignee_id}.
 */
@JdbcRepository(dialect = Dialect.MYSQL)
public interface PactOperatorRepository extends GenericRepository<PactOperator, Long> {

    @Query("""
            INSERT INTO pact_operator (installation_id, pact_user_id, name) VALUES (:installationId, :pactUserId, :name)
            ON DUPLICATE KEY UPDATE name = COALESCE(VALUES(name), name), last_seen_at = CURRENT_TIMESTAMP(3)""")
    void seen(long installationId, long pactUserId, @Nullable String name);

    @Query("SELECT * FROM pact_operator WHERE installation_id = :installationId ORDER BY name, pact_user_id")
    List<PactOperator> findByInstallation(long installationId);
}
