package com.pactcrm.connector.sync.lease;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.sync.InstanceIdentity;
import com.pactcrm.connector.sync.inbound.InboundEventRepository;
import com.pactcrm.connector.sync.outbox.OutboxLane;
import com.pactcrm.connector.sync.outbox.OutboxRepository;
import com.pactcrm.connector.testsupport.ManualClock;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micronaut.context.annotation.Property;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Replicas sharing installations, played by several lease managers on one real database with a clock
 * moved by hand (this context's own workers and lease manager are off).
 */
@MicronautTest(transactional = false)
@Property(name = "connector.dispatcher.enabled", value = "false")
@Property(name = "connector.relay.enabled", value = "false")
class InstallationLeasesIT {

    static final Duration TTL = Duration.ofSeconds(2);
    static final Duration RENEW = Duration.ofMillis(500);
    static final AtomicInteger NEXT_REPLICA = new AtomicInteger();

    @Inject
    InstallationLeaseRepository repository;
    @Inject
    OutboxRepository outbox;
    @Inject
    InboundEventRepository inbound;
    @Inject
    TransactionOperations<Connection> tx;
    @Inject
    TestInstallations installations;
    @Inject
    TestSql sql;

    ManualClock clock;

    @BeforeEach
    void clean() {
        sql.update("DELETE FROM installation_lease");
        sql.update("DELETE FROM replica");
        sql.update("DELETE FROM outbox_command");
        sql.update("DELETE FROM installation");
        clock = new ManualClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
    }

    private InstallationLeases replica() {
        return replica(new InstanceIdentity("replica-" + NEXT_REPLICA.incrementAndGet(), clock.instant()), event -> { });
    }

    private InstallationLeases replica(InstanceIdentity identity, ApplicationEventPublisher<LeasesChanged> events) {
        return new InstallationLeases(repository, tx, events, identity, clock, true, true, true, TTL, RENEW,
                new SimpleMeterRegistry());
    }

    private List<Long> createInstallations(int n) {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(installations.amoCrm(null).id());
        }
        return ids;
    }

    /** Every replica runs its round, then time moves one renew period. */
    private void rounds(int n, List<InstallationLeases> alive) {
        for (int i = 0; i < n; i++) {
            alive.forEach(InstallationLeases::balance);
            clock.advance(RENEW);
        }
    }

    private Map<String, Integer> heldPerOwner() {
        Map<String, Integer> held = new HashMap<>();
        for (Map<String, Object> row : sql.query("SELECT owner FROM installation_lease WHERE lease_until > ?",
                Timestamp.from(clock.instant()))) {
            held.merge(row.get("owner").toString(), 1, Integer::sum);
        }
        return held;
    }

    @Test
    void threeReplicasShareTenInstallationsFairlyAndNeverTwice() {
        List<Long> ids = createInstallations(10);
        InstallationLeases a = replica();
        InstallationLeases b = replica();
        InstallationLeases c = replica();

        rounds(8, List.of(a, b, c));

        Map<String, Integer> held = heldPerOwner();
        assertEquals(10, held.values().stream().mapToInt(Integer::intValue).sum(), "every installation has an owner: " + held);
        assertEquals(3, held.size(), "all three replicas work: " + held);
        assertTrue(held.values().stream().allMatch(n -> n <= 4), "nobody above the fair share of 4: " + held);
        List<Long> owned = new ArrayList<>(a.owned());
        owned.addAll(b.owned());
        owned.addAll(c.owned());
        assertEquals(10, owned.size(), "no installation is owned twice");
        assertTrue(owned.containsAll(ids));
    }

    /**
     * The new owner works a dead replica's installations as soon as it holds them, towards every target: the limiters'
     * state is shared through the database, so it already counts the dead owner's last calls.
     */
    @Test
    void aDeadReplicasInstallationsAreTakenWithinTheLeaseTimeAndWorkedAtOnce() {
        createInstallations(9);
        InstallationLeases a = replica();
        InstallationLeases b = replica();
        InstallationLeases dead = replica();
        rounds(8, List.of(a, b, dead));
        List<Long> orphans = List.copyOf(dead.owned());
        assertTrue(!orphans.isEmpty(), "the replica to kill held some");

        Instant killedAt = clock.instant();
        Instant allTaken = null;
        for (int i = 0; i < 20 && allTaken == null; i++) {
            rounds(1, List.of(a, b));
            List<Long> survivors = new ArrayList<>(a.owned());
            survivors.addAll(b.owned());
            if (survivors.containsAll(orphans)) {
                allTaken = clock.instant();
            }
        }

        assertNotNull(allTaken, "the survivors took the dead replica's installations");
        Duration takeover = Duration.between(killedAt, allTaken);
        assertTrue(takeover.compareTo(TTL.plus(RENEW.multipliedBy(2))) <= 0, "taken within the lease time: " + takeover);
        assertEquals(9, a.owned().size() + b.owned().size());
        long orphan = orphans.get(0);
        String newOwner = a.owned().contains(orphan) ? a.owner() : b.owner();
        queueWorkFor(orphan);

        assertEquals(List.of("CRM", "PACT"), claimableTargets(newOwner), "the new owner calls both targets at once");
        assertEquals(1, claimableEvents(newOwner).size(), "and processes the installation's events at once");
        assertEquals(List.of(), claimable(dead.owner()), "the dead owner's claims no longer match");
    }

    /**
     * The install's calls were made by whichever replica got the install request, and the shared limiters count them:
     * the first owner of a new installation works it at once, towards every target.
     */
    @Test
    void aNewInstallationsFirstOwnerWorksItAtOnce() {
        long id = createInstallations(1).get(0);
        InstallationLeases a = replica();

        a.balance();

        assertEquals(Set.of(id), a.owned());
        queueWorkFor(id);
        assertEquals(List.of("CRM", "PACT"), claimableTargets(a.owner()));
        assertEquals(1, claimableEvents(a.owner()).size());
    }

    /**
     * With production-like periods (rounds 10 s apart), a dead replica's leases are taken when they end, not at the
     * survivor's next round up to a period later; on the real clock, since the survivor's own timer runs it.
     */
    @Test
    void aDeadReplicasLeasesAreTakenWhenTheyEndNotAtTheNextRound() {
        List<Long> ids = createInstallations(2);
        Clock real = Clock.systemUTC();
        Duration ttl = Duration.ofSeconds(30);
        Duration renew = Duration.ofSeconds(10);
        InstallationLeases dead = new InstallationLeases(repository, tx, event -> { },
                new InstanceIdentity("replica-" + NEXT_REPLICA.incrementAndGet(), real.instant()), real, true, true, true,
                ttl, renew, new SimpleMeterRegistry());
        dead.balance();
        // Its last round was 28.5 s ago: its leases and its heartbeat end 1.5 s from now.
        Instant end = real.instant().plusMillis(1500);
        sql.update("UPDATE installation_lease SET lease_until = ?", Timestamp.from(end));
        sql.update("UPDATE replica SET seen_until = ?", Timestamp.from(end));
        InstallationLeases survivor = new InstallationLeases(repository, tx, event -> { },
                new InstanceIdentity("replica-" + NEXT_REPLICA.incrementAndGet(), real.instant()), real, true, true, true,
                ttl, renew, new SimpleMeterRegistry());
        try {
            survivor.onApplicationEvent(null);
            assertEquals(Set.of(), survivor.owned(), "the dead replica's leases still run");

            await().atMost(Duration.ofSeconds(6)).until(() -> survivor.owned().containsAll(ids));
            assertTrue(!real.instant().isBefore(end), "taken once they ended");
        } finally {
            survivor.releaseAll();
        }
    }

    @Test
    void aRestartedReplicaResumesItsInstallationsAtOnceAndReclaimsWhatItsEarlierStartHadClaimed() {
        List<Long> ids = createInstallations(3);
        InstallationLeases first = replica(new InstanceIdentity("pod-7", clock.instant()), event -> { });
        rounds(2, List.of(first));
        assertEquals(3, first.owned().size());
        sql.update("INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, payload, state, next_attempt_at, "
                + "origin_at, lease_owner, lease_until, attempts, first_sent_at) VALUES (?, 'CRM', 'CRM_MESSAGE_STATUS', "
                + "'claimed-by-the-dead', '{}', 'IN_FLIGHT', ?, ?, ?, ?, 1, ?)", ids.get(0), Timestamp.from(clock.instant()),
                Timestamp.from(clock.instant()), first.owner(), Timestamp.from(clock.instant().plusSeconds(300)),
                Timestamp.from(clock.instant()));

        List<LeasesChanged> announced = new ArrayList<>();
        InstallationLeases restarted = replica(new InstanceIdentity("pod-7", clock.instant()), announced::add);
        clock.advance(Duration.ofMillis(200));
        restarted.balance();

        assertEquals(Set.copyOf(ids), restarted.owned(), "resumed on the first round, long before the old leases end");
        assertEquals(Set.copyOf(ids), announced.get(0).takenOver(), "the workers are told to reclaim them");
        assertEquals(1, outbox.reclaimFromOthers(ids.get(0), restarted.owner(), clock.instant()));
        assertEquals(1, sql.count("SELECT COUNT(*) FROM outbox_command WHERE idempotency_key = 'claimed-by-the-dead' "
                + "AND state = 'PENDING' AND ambiguous = TRUE AND lease_owner IS NULL"),
                "due again at once, and looked up before it is sent again (it was sent once)");
        assertEquals(List.of(ids.get(0)), claimable(restarted.owner()), "and claimable by the restarted replica at once");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM replica WHERE owner = ?", first.owner()), "the earlier start is forgotten");
    }

    @Test
    void aSecondLiveProcessWithTheSameNameTakesNothingFromTheFirst() {
        createInstallations(2);
        InstallationLeases first = replica(new InstanceIdentity("pod-8", clock.instant()), event -> { });
        rounds(2, List.of(first));
        InstallationLeases twin = replica(new InstanceIdentity("pod-8", clock.instant().minusSeconds(5)), event -> { });

        rounds(3, List.of(first, twin));

        assertEquals(2, first.owned().size() + twin.owned().size(), "no installation is owned twice");
        assertTrue(first.owned().size() >= 1, "the first keeps its fair share");
    }

    @Test
    void aHandedOverInstallationMovesOnlyWhenItsWorkInFlightIsDone() {
        List<Long> ids = createInstallations(4);
        InstallationLeases a = replica();
        rounds(2, List.of(a));
        assertEquals(4, a.owned().size());
        long busy = ids.get(ids.size() - 1);
        sql.update("INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, payload, state, next_attempt_at, "
                + "origin_at, lease_owner, lease_until, attempts) VALUES (?, 'CRM', 'CRM_MESSAGE_STATUS', 'busy', '{}', "
                + "'IN_FLIGHT', ?, ?, ?, ?, 1)", busy, Timestamp.from(clock.instant()), Timestamp.from(clock.instant()),
                a.owner(), Timestamp.from(clock.instant().plusSeconds(300)));
        InstallationLeases b = replica();

        rounds(6, List.of(a, b));

        assertTrue(a.owned().contains(busy), "still ours while its command is in flight");
        assertEquals(1, sql.count("SELECT COUNT(*) FROM installation_lease WHERE installation_id = ? AND handover_at IS NOT NULL",
                busy), "but no new work of it is claimed");
        assertEquals(List.of(), claimableIn(a.owner(), busy));

        sql.update("UPDATE outbox_command SET state = 'DONE' WHERE idempotency_key = 'busy'");
        rounds(3, List.of(a, b));

        assertTrue(b.owned().contains(busy), "handed over once its work was done");
        assertEquals(2, a.owned().size());
        assertEquals(2, b.owned().size());
    }

    @Test
    void onShutdownTheLeasesAreReleasedForTheOthersAtOnce() {
        createInstallations(3);
        InstallationLeases leaving = replica();
        InstallationLeases staying = replica();
        rounds(1, List.of(leaving));
        assertEquals(3, leaving.owned().size());

        leaving.releaseAll();
        rounds(1, List.of(staying));

        assertEquals(3, staying.owned().size(), "taken in the next round, not after the ttl");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM replica WHERE owner = ?", leaving.owner()));
    }

    @Test
    void aReplicaThatCouldNotRenewStopsSendingBeforeItsLeaseEnds() {
        long id = createInstallations(1).get(0);
        InstallationLeases a = replica();
        rounds(1, List.of(a));
        assertTrue(a.holds(id));

        clock.advance(TTL.minus(RENEW));

        assertTrue(!a.holds(id), "no renewal for ttl - renew-every: the relay gives its claims back");
    }

    @Test
    void disconnectedInstallationsNeedNoOwnerAndAreNeverTakenOver() {
        List<Long> ids = createInstallations(3);
        InstallationLeases a = replica();
        rounds(1, List.of(a));
        sql.update("UPDATE installation SET status = 'INACTIVE' WHERE id = ?", ids.get(0));
        InstallationLeases b = replica();

        rounds(4, List.of(a, b));

        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation_lease WHERE installation_id = ?", ids.get(0)));
        assertEquals(2, a.owned().size() + b.owned().size(), "the two active ones are held");
    }

    @Test
    void aShutdownCutShortKeepsTheLeasesOfWorkStillInFlightAndTakesNoMore() {
        List<Long> ids = createInstallations(2);
        InstallationLeases a = replica();
        rounds(1, List.of(a));
        sql.update("INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, payload, state, next_attempt_at, "
                + "origin_at, lease_owner, lease_until, attempts) VALUES (?, 'CRM', 'CRM_MESSAGE_STATUS', 'stuck', '{}', "
                + "'IN_FLIGHT', ?, ?, ?, ?, 1)", ids.get(0), Timestamp.from(clock.instant()), Timestamp.from(clock.instant()),
                a.owner(), Timestamp.from(clock.instant().plusSeconds(300)));
        a.stopTaking();
        createInstallations(1);
        rounds(1, List.of(a));
        assertEquals(2, sql.count("SELECT COUNT(*) FROM installation_lease WHERE owner = ?", a.owner()),
                "draining: the new installation is not taken");

        a.releaseAll();

        assertEquals(1, sql.count("SELECT COUNT(*) FROM installation_lease WHERE owner = ? AND lease_until > ?", a.owner(),
                Timestamp.from(clock.instant())), "the installation with work in flight stays ours until its ttl");
    }

    /** A due command for each target and a new event, for {@code installationId}. */
    private void queueWorkFor(long installationId) {
        for (String target : List.of("CRM", "PACT")) {
            sql.update("INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, payload, state, "
                    + "next_attempt_at, origin_at) VALUES (?, ?, 'PACT_SEND_MESSAGE', ?, '{}', 'PENDING', ?, ?)", installationId,
                    target, "work-" + installationId + "-" + target, Timestamp.from(clock.instant()), Timestamp.from(clock.instant()));
        }
        inbound.insertIgnore(installationId, "PACT", "work-" + installationId, "application/json", null,
                "{}".getBytes(StandardCharsets.UTF_8), clock.instant());
    }

    /** The journal's events {@code owner} may process now (locked only for the claim's own transaction). */
    private List<Long> claimableEvents(String owner) {
        return tx.executeWrite(status -> inbound.lockClaimable(clock.instant(), 50, true, owner));
    }

    private List<Long> claimable(String owner) {
        return outbox.dueLanes(clock.instant(), 50, true, owner).stream().map(OutboxLane::installationId).toList();
    }

    /** The targets of the lanes {@code owner} may work now, in name order. */
    private List<String> claimableTargets(String owner) {
        return outbox.dueLanes(clock.instant(), 50, true, owner).stream().map(l -> l.target().name()).sorted().toList();
    }

    private List<Long> claimableIn(String owner, long installationId) {
        sql.update("INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, payload, state, next_attempt_at, "
                + "origin_at) VALUES (?, 'CRM', 'CRM_MESSAGE_STATUS', 'new-work', '{}', 'PENDING', ?, ?)", installationId,
                Timestamp.from(clock.instant()), Timestamp.from(clock.instant()));
        return claimable(owner);
    }
}
