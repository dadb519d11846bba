package com.pactcrm.connector.sync.inbound;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface InboundEventRepository extends GenericRepository<InboundEvent, Long> {

    /** @return 1 when stored, 0 when the same (installation, source, dedupe key) was already journaled */
    @Query("""
            INSERT IGNORE INTO inbound_event
                (installation_id, source, dedupe_key, content_type, headers, body, state, attempts, next_attempt_at, received_at)
            VALUES (:installationId, :source, :dedupeKey, :contentType, :headers, :body, 'NEW', 0, :receivedAt, :receivedAt)""")
    int insertIgnore(long installationId, String source, String dedupeKey, @Nullable String contentType, @Nullable String headers,
                     byte[] body, Instant receivedAt);

    /**
     * Rows other workers hold are skipped, not waited for. With leases ({@code leased}) only the
     * installations {@code owner} holds and is not handing over.
     */
    @Query("""
            SELECT id FROM inbound_event
            WHERE state = 'NEW' AND next_attempt_at <= :now
              AND (:leased = FALSE OR installation_id IN (
                    SELECT l.installation_id FROM installation_lease l
                    WHERE l.owner = :owner AND l.lease_until > :now AND l.handover_at IS NULL))
            ORDER BY id LIMIT :limit
            FOR UPDATE SKIP LOCKED""")
    List<Long> lockClaimable(Instant now, int limit, boolean leased, String owner);

    @Query("""
            UPDATE inbound_event SET state = 'PROCESSING', lease_owner = :owner, lease_until = :leaseUntil,
                attempts = attempts + 1
            WHERE id IN (:ids)""")
    int markProcessing(List<Long> ids, String owner, Instant leaseUntil);

    /**
     * Locks an event this worker still owns for the whole processing transaction, so a reaper cannot
     * hand it to another worker half-way: the use-case's writes commit only together with DONE.
     */
    @Query("SELECT * FROM inbound_event WHERE id = :id AND state = 'PROCESSING' AND lease_owner = :owner FOR UPDATE")
    Optional<InboundEvent> lockOwned(long id, String owner);

    /** The outcome is a summary for the admin (a batch of amoCRM note webhooks lists each note): cut to its column. */
    @Query("""
            UPDATE inbound_event SET state = 'DONE', outcome = LEFT(:outcome, 255), processed_at = :now, lease_owner = NULL,
                lease_until = NULL, last_error = NULL
            WHERE id = :id""")
    int markDone(long id, String outcome, Instant now);

    @Query("""
            UPDATE inbound_event SET state = :state, last_error = LEFT(:error, 2000), next_attempt_at = :nextAttemptAt,
                lease_owner = NULL, lease_until = NULL
            WHERE id = :id AND state = 'PROCESSING' AND lease_owner = :owner""")
    int markFailed(long id, String owner, String state, String error, Instant nextAttemptAt);

    /**
     * Events whose lease ran out, read without locks. The reaper then updates them by primary key: an UPDATE that
     * found them through the lease index would lock that index before the rows, the opposite order to a worker
     * marking its event done, and InnoDB broke the cycle by failing one of them (seen in the field benchmark).
     */
    @Query("SELECT id FROM inbound_event WHERE state = 'PROCESSING' AND lease_until < :now ORDER BY id LIMIT :limit")
    List<Long> findExpired(Instant now, int limit);

    @Query("""
            UPDATE inbound_event SET state = 'NEW', lease_owner = NULL, lease_until = NULL
            WHERE id IN (:ids) AND state = 'PROCESSING' AND lease_until < :now""")
    int reapExpired(List<Long> ids, Instant now);

    /** What another owner (a dead replica, or this replica's earlier start) was processing for the installation. */
    @Query("""
            UPDATE inbound_event SET state = 'NEW', lease_owner = NULL, lease_until = NULL
            WHERE installation_id = :installationId AND state = 'PROCESSING' AND lease_owner <> :owner""")
    int reclaimFromOthers(long installationId, String owner);

    @Query("""
            UPDATE inbound_event SET state = 'NEW', lease_owner = NULL, lease_until = NULL
            WHERE state = 'PROCESSING' AND lease_owner = :owner""")
    int releaseOwnedBy(String owner);

    @Query("""
            UPDATE inbound_event SET state = 'NEW', attempts = 0, next_attempt_at = :now, last_error = NULL
            WHERE id = :id AND installation_id = :installationId AND state = 'PARKED'""")
    int retryParked(long id, long installationId, Instant now);

    @Query("SELECT attempts FROM inbound_event WHERE id = :id")
    int attemptsOf(long id);

    @Query("SELECT COUNT(*) FROM inbound_event WHERE state IN ('NEW', 'PROCESSING')")
    long countPending();

    @Query("SELECT COUNT(*) FROM inbound_event WHERE state = 'PARKED'")
    long countParked();

    @Query("SELECT MIN(received_at) FROM inbound_event WHERE state IN ('NEW', 'PROCESSING')")
    Optional<Instant> oldestPendingReceivedAt();
}
