package com.pactcrm.connector.sync.reconcile;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface ReconciliationRepository extends GenericRepository<Reconciliation, Long> {

    @Query("""
            INSERT INTO reconciliation (installation_id, last_run_at, last_outcome, last_recovered, total_recovered, last_detail,
                covered_until)
            VALUES (:installationId, :at, :outcome, :recovered, :recovered, LEFT(:detail, 500), :coveredUntil)
            ON DUPLICATE KEY UPDATE last_run_at = VALUES(last_run_at), last_outcome = VALUES(last_outcome),
                last_recovered = VALUES(last_recovered), total_recovered = total_recovered + VALUES(last_recovered),
                last_detail = VALUES(last_detail), covered_until = COALESCE(VALUES(covered_until), covered_until)""")
    void record(long installationId, Instant at, String outcome, int recovered, @Nullable String detail,
                @Nullable Instant coveredUntil);

    @Query("SELECT * FROM reconciliation WHERE installation_id = :installationId")
    Optional<Reconciliation> find(long installationId);

    @Query("SELECT * FROM reconciliation ORDER BY last_run_at DESC LIMIT 1")
    Optional<Reconciliation> latest();

    @Query("SELECT COALESCE(SUM(total_recovered), 0) FROM reconciliation")
    long totalRecovered();

    /** When the installation's newest event of this source arrived (the journal's own clock). */
    @Query("""
            SELECT MAX(received_at) FROM inbound_event WHERE installation_id = :installationId AND source = :source""")
    Optional<Instant> lastEventAt(long installationId, String source);

    @Query("SELECT installation_id FROM reconciliation WHERE last_run_at > :after")
    List<Long> ranAfter(Instant after);
}
