package com.pactcrm.connector.sync.outbox;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
public interface OutboxRepository extends GenericRepository<OutboxCommand, Long> {

    /** @return 1 when stored, 0 when a command with this idempotency key already exists */
    @Query("""
            INSERT IGNORE INTO outbox_command
                (installation_id, target, kind, idempotency_key, coalesce_key, payload, state, attempts, next_attempt_at,
                 source_event_id, origin_at)
            VALUES (:installationId, :target, :kind, :idempotencyKey, :coalesceKey, :payload, 'PENDING', 0, :now,
                 :sourceEventId, :originAt)""")
    int insertIgnore(long installationId, String target, String kind, String idempotencyKey, @Nullable String coalesceKey,
                     String payload, Instant now, @Nullable Long sourceEventId, Instant originAt);

    /**
     * The newest command of a coalesce key still waiting, read without locks. The command then takes the newer
     * payload by primary key ({@link #coalesceInto}): an UPDATE that found it through the coalesce index would lock
     * that index before the row, the opposite order to the relay marking the rows it claimed in flight, and InnoDB
     * broke the cycle by failing one of them (seen in the field benchmark).
     */
    @Query("""
            SELECT id FROM outbox_command
            WHERE installation_id = :installationId AND coalesce_key = :coalesceKey AND state = 'PENDING'
            ORDER BY id DESC LIMIT 1""")
    Optional<Long> findNewestPending(long installationId, String coalesceKey);

    /**
     * Latest wins: the newest command still waiting takes the newer payload instead of a second command being
     * queued (only one row: two waiting rows must never end up with the same idempotency key). Zero when the relay
     * claimed it meanwhile.
     */
    @Query("""
            UPDATE outbox_command SET payload = :payload, idempotency_key = :idempotencyKey, source_event_id = :sourceEventId
            WHERE id = :id AND state = 'PENDING'""")
    int coalesceInto(long id, String idempotencyKey, String payload, @Nullable Long sourceEventId);

    /**
     * Whether webhooks of the installation are journaled and due but not processed yet: each may queue commands
     * that would share a call with those already waiting. Pact's webhooks queue the CRM's commands and the CRM's
     * queue Pact's ({@code fromPact} says which side). Read here (not through the journal's classes) to keep the
     * outbox free of a dependency on the inbound side.
     */
    @Query("""
            SELECT EXISTS (SELECT 1 FROM inbound_event
                           WHERE state IN ('NEW', 'PROCESSING') AND installation_id = :installationId
                             AND (source = 'PACT') = :fromPact
                             AND (state = 'PROCESSING' OR next_attempt_at <= :now))""")
    boolean eventsAwaitProcessing(long installationId, boolean fromPact, Instant now);

    /**
     * The lanes (installation and target) that have due commands. With leases ({@code leased}) only
     * installations {@code owner} holds and is not handing over. A plain read: the lane claims its rows itself.
     */
    @Query("""
            SELECT DISTINCT o.installation_id, o.target FROM outbox_command o
            WHERE o.state = 'PENDING' AND o.next_attempt_at <= :now
              AND (:leased = FALSE OR EXISTS (""" + LEASED + """
            ))
            LIMIT :limit""")
    List<OutboxLane> dueLanes(Instant now, int limit, boolean leased, String owner);

    /**
     * One lane's due commands in id order, skipping rows other workers hold, and skipping a command while an
     * older one with the same coalesce key is still in flight (its remote id is not known yet) or waits for
     * its retry (it may have been written: the newer one goes with it, looked up, rather than alone).
     */
    @Query("""
            SELECT o.id FROM outbox_command o
            WHERE o.installation_id = :installationId AND o.target = :target
              AND o.state = 'PENDING' AND o.next_attempt_at <= :now
              AND (o.coalesce_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM outbox_command f
                    WHERE f.installation_id = o.installation_id AND f.coalesce_key = o.coalesce_key
                      AND (f.state = 'IN_FLIGHT'
                           OR f.state = 'PENDING' AND f.id < o.id AND f.next_attempt_at > :now)))
              AND (:leased = FALSE OR EXISTS (""" + LEASED + """
            ))
            ORDER BY o.id LIMIT :limit
            FOR UPDATE SKIP LOCKED""")
    List<Long> lockClaimable(long installationId, String target, Instant now, int limit, boolean leased, String owner);

    /** The lease condition both queries share: the command's installation is ours and not handing over. */
    String LEASED = """
                    SELECT 1 FROM installation_lease l
                    WHERE l.installation_id = o.installation_id AND l.owner = :owner AND l.lease_until > :now
                      AND l.handover_at IS NULL""";

    @Query("""
            UPDATE outbox_command SET state = 'IN_FLIGHT', lease_owner = :owner, lease_until = :leaseUntil,
                attempts = attempts + 1
            WHERE id IN (:ids)""")
    int markInFlight(List<Long> ids, String owner, Instant leaseUntil);

    @Query("SELECT * FROM outbox_command WHERE id IN (:ids) ORDER BY id")
    List<OutboxCommand> findByIds(List<Long> ids);

    @Query("SELECT * FROM outbox_command WHERE installation_id = :installationId AND idempotency_key = :idempotencyKey")
    Optional<OutboxCommand> findByIdempotencyKey(long installationId, String idempotencyKey);

    @Query("SELECT * FROM outbox_command WHERE id = :id")
    Optional<OutboxCommand> findById(long id);

    @Query("""
            UPDATE outbox_command SET first_sent_at = COALESCE(first_sent_at, :now)
            WHERE id IN (:ids)""")
    int markSending(List<Long> ids, Instant now);

    @Query("""
            UPDATE outbox_command SET state = 'DONE', remote_id = :remoteId, done_at = :now, lease_owner = NULL,
                lease_until = NULL, last_error = NULL, ambiguous = FALSE
            WHERE id = :id AND state = 'IN_FLIGHT' AND lease_owner = :owner""")
    int markDone(long id, String owner, @Nullable String remoteId, Instant now);

    @Query("""
            UPDATE outbox_command SET state = :state, next_attempt_at = :nextAttemptAt, last_error = LEFT(:error, 2000),
                attempts = attempts + :attemptDelta, ambiguous = (ambiguous OR :ambiguous), lease_owner = NULL,
                lease_until = NULL
            WHERE id = :id AND state = 'IN_FLIGHT' AND lease_owner = :owner""")
    int markFailed(long id, String owner, String state, Instant nextAttemptAt, String error, int attemptDelta,
                   boolean ambiguous);

    @Query("UPDATE outbox_command SET ambiguous = TRUE WHERE id IN (:ids)")
    int markAmbiguous(List<Long> ids);

    @Query("UPDATE outbox_command SET state = 'SUPERSEDED', done_at = :now, lease_owner = NULL, lease_until = NULL WHERE id IN (:ids)")
    int markSuperseded(List<Long> ids, Instant now);

    /** Commands whose claim lease ran out, read without locks; reaped by primary key, for the reason given at {@link #findNewestPending}. */
    @Query("SELECT id FROM outbox_command WHERE state = 'IN_FLIGHT' AND lease_until < :now ORDER BY id LIMIT :limit")
    List<Long> findExpired(Instant now, int limit);

    @Query("""
            UPDATE outbox_command SET state = 'PENDING', lease_owner = NULL, lease_until = NULL,
                ambiguous = (ambiguous OR first_sent_at IS NOT NULL)
            WHERE id IN (:ids) AND state = 'IN_FLIGHT' AND lease_until < :now""")
    int reapExpired(List<Long> ids, Instant now);

    @Query("""
            UPDATE outbox_command SET state = 'PENDING', lease_owner = NULL, lease_until = NULL, next_attempt_at = :now,
                ambiguous = (ambiguous OR first_sent_at IS NOT NULL)
            WHERE installation_id = :installationId AND state = 'IN_FLIGHT' AND lease_owner <> :owner""")
    int reclaimFromOthers(long installationId, String owner, Instant now);

    /** Gives back commands claimed but never started (shutdown), without spending an attempt. */
    @Query("""
            UPDATE outbox_command SET state = 'PENDING', lease_owner = NULL, lease_until = NULL, attempts = attempts - 1
            WHERE id IN (:ids) AND state = 'IN_FLIGHT' AND lease_owner = :owner""")
    int releaseClaimed(List<Long> ids, String owner);

    @Query("""
            UPDATE outbox_command SET state = 'PENDING', attempts = 0, next_attempt_at = :now, last_error = NULL
            WHERE id = :id AND installation_id = :installationId AND state = 'DEAD'""")
    int retryDead(long id, long installationId, Instant now);

    /** Dead letters the target refused for credentials or billing start again (the admin fixed the cause). */
    @Query("""
            UPDATE outbox_command SET state = 'PENDING', attempts = 0, next_attempt_at = :now, last_error = NULL
            WHERE installation_id = :installationId AND target = :target AND state = 'DEAD'
              AND (last_error LIKE 'UNAUTHORIZED%' OR last_error LIKE 'PAYMENT_REQUIRED%' OR last_error LIKE 'FORBIDDEN%'
                   OR last_error LIKE 'NOT_CONNECTED%')""")
    int retryDeadForCredentials(long installationId, String target, Instant now);

    /** Commands held because their target refused the account become due again. */
    @Query("""
            UPDATE outbox_command SET next_attempt_at = :now
            WHERE installation_id = :installationId AND state = 'PENDING' AND last_error LIKE 'held:%'
              AND (:target IS NULL OR target = :target)""")
    int releaseHeld(long installationId, @Nullable String target, Instant now);

    @Query("SELECT COUNT(*) FROM outbox_command WHERE state IN ('PENDING', 'IN_FLIGHT')")
    long countPending();

    @Query("SELECT COUNT(*) FROM outbox_command WHERE state = 'DEAD'")
    long countDead();

    @Query("SELECT MIN(origin_at) FROM outbox_command WHERE state IN ('PENDING', 'IN_FLIGHT')")
    Optional<Instant> oldestPendingOriginAt();
}
