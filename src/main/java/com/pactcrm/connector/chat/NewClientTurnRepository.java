package com.pactcrm.connector.chat;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface NewClientTurnRepository extends GenericRepository<NewClientTurn, Long> {

    /** Counts one more turn; the row stays locked until the caller's transaction ends. */
    @Query("""
            INSERT INTO new_client_round_robin (installation_id, turns) VALUES (:installationId, 1)
            ON DUPLICATE KEY UPDATE turns = turns + 1""")
    void take(long installationId);

    @Query("SELECT turns FROM new_client_round_robin WHERE installation_id = :installationId")
    long turns(long installationId);
}
