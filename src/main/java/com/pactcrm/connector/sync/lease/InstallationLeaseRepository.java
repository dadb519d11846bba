package com.pactcrm.connector.sync.lease;

import io.micronaut.data.annotation.Query;
import io.micronaut.data.jdbc.annotation.JdbcRepository;
import io.micronaut.data.model.query.builder.sql.Dialect;
import io.micronaut.data.repository.GenericRepository;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

@JdbcRepository(dialect = Dialect.MYSQL)
interface InstallationLeaseRepository extends GenericRepository<InstallationLease, Long> {

    @Query("""
            INSERT INTO replica (owner, name, seen_until, started_at) VALUES (:owner, :name, :seenUntil, :now)
            ON DUPLICATE KEY UPDATE seen_until = VALUES(seen_until)""")
    void heartbeat(String owner, String name, Instant seenUntil, Instant now);

    /** Earlier starts of the replica called {@code name}, with when each was last heard of. */
    @Query("SELECT * FROM replica WHERE name = :name AND owner <> :owner")
    List<Replica> earlierStarts(String name, String owner);

    /** Leases an earlier start held, running or run out. */
    @Query("SELECT * FROM installation_lease WHERE owner = :previous FOR UPDATE")
    List<InstallationLease> lockHeldBy(String previous);

    @Query("DELETE FROM replica WHERE owner = :owner")
    int forgetReplica(String owner);

    @Query("SELECT COUNT(*) FROM replica WHERE seen_until > :now")
    long liveReplicas(Instant now);

    @Query("DELETE FROM replica WHERE seen_until < :before OR owner = :owner")
    int forgetReplicas(Instant before, String owner);

    @Query("UPDATE installation_lease SET lease_until = :leaseUntil WHERE owner = :owner AND lease_until > :now")
    int renew(String owner, Instant now, Instant leaseUntil);

    /** Installations that still have something to dispatch or relay, so they need an owner. */
    @Query("SELECT COUNT(*) FROM installation WHERE status <> 'INACTIVE'")
    long leasableInstallations();

    @Query("""
            SELECT COUNT(*) FROM installation_lease l JOIN installation i ON i.id = l.installation_id
            WHERE l.owner = :owner AND l.lease_until > :now AND l.handover_at IS NULL AND i.status <> 'INACTIVE'""")
    long held(String owner, Instant now);

    /**
     * Leases of disconnected installations that are ours or expired. Plain reads: a subquery in an UPDATE or
     * DELETE would take shared locks on the journal and outbox rows the workers are updating, and deadlock them.
     */
    @Query("""
            SELECT l.installation_id FROM installation_lease l JOIN installation i ON i.id = l.installation_id
            WHERE i.status = 'INACTIVE' AND (l.owner = :owner OR l.lease_until <= :now)""")
    List<Long> inactive(String owner, Instant now);

    @Query("""
            SELECT (SELECT COUNT(*) FROM outbox_command WHERE installation_id = :installationId AND state = 'IN_FLIGHT'
                        AND lease_owner = :owner)
                 + (SELECT COUNT(*) FROM inbound_event WHERE installation_id = :installationId AND state = 'PROCESSING'
                        AND lease_owner = :owner)""")
    long inFlight(long installationId, String owner);

    @Query("DELETE FROM installation_lease WHERE installation_id = :installationId AND (owner = :owner OR lease_until <= :now)")
    int forget(long installationId, String owner, Instant now);

    /** Installations nobody ever leased. Two replicas inserting the same one: the first wins, the other is ignored. */
    @Query("""
            INSERT IGNORE INTO installation_lease (installation_id, owner, lease_until, acquired_at)
            SELECT i.id, :owner, :leaseUntil, :now
            FROM installation i
            WHERE i.status <> 'INACTIVE'
              AND NOT EXISTS (SELECT 1 FROM installation_lease l WHERE l.installation_id = i.id)
            ORDER BY i.id LIMIT :limit""")
    int takeUnleased(String owner, Instant now, Instant leaseUntil, int limit);

    /** When the next lease of another replica runs out, if one does. */
    @Query("""
            SELECT lease_until FROM installation_lease WHERE owner <> :owner AND lease_until > :now
            ORDER BY lease_until LIMIT 1""")
    Optional<Instant> nextExpiryOfOthers(String owner, Instant now);

    @Query("""
            SELECT * FROM installation_lease WHERE lease_until <= :now
            ORDER BY installation_id LIMIT :limit FOR UPDATE SKIP LOCKED""")
    List<InstallationLease> lockExpired(Instant now, int limit);

    /** Takes a lease that ran out, or one {@code from} (an earlier start of this replica) still holds. */
    @Query("""
            UPDATE installation_lease SET owner = :owner, lease_until = :leaseUntil, acquired_at = :now, handover_at = NULL
            WHERE installation_id = :installationId AND (lease_until <= :now OR owner = :from)""")
    int takeOver(long installationId, String from, String owner, Instant now, Instant leaseUntil);

    @Query("""
            UPDATE installation_lease SET handover_at = :now
            WHERE owner = :owner AND lease_until > :now AND handover_at IS NULL
            ORDER BY installation_id DESC LIMIT :limit""")
    int startHandover(String owner, Instant now, int limit);

    @Query("""
            SELECT installation_id FROM installation_lease
            WHERE owner = :owner AND handover_at IS NOT NULL AND lease_until > :now""")
    List<Long> handingOver(String owner, Instant now);

    /** Ends one lease of ours now, for the others to take. */
    @Query("UPDATE installation_lease SET lease_until = :now WHERE installation_id = :installationId AND owner = :owner AND lease_until > :now")
    int release(long installationId, String owner, Instant now);


    @Query("SELECT installation_id FROM installation_lease WHERE owner = :owner AND lease_until > :now ORDER BY installation_id")
    List<Long> owned(String owner, Instant now);
}
