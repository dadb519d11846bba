package com.pactcrm.connector.sync;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.ServiceProcess;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.context.annotation.Property;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM while the service, as its own process, is busy: it drains within its grace period, leaves
 * nothing in flight and releases its leases; a successor finishes the rest, each event exactly once.
 */
@MicronautTest(transactional = false)
@Property(name = "connector.dispatcher.enabled", value = "false")
@Property(name = "connector.relay.enabled", value = "false")
class GracefulShutdownIT {

    static final int EVENTS = 1500;
    static final Duration GRACE = Duration.ofSeconds(8);

    @Inject
    TestInstallations installations;
    @Inject
    TestSql sql;

    @Test
    void sigtermDuringLoadDrainsReleasesItsLeasesAndLosesNothing() throws Exception {
        Installation installation = installations.amoCrm(null);
        Map<String, String> config = ServiceProcess.onDatabase(sql.jdbcUrl(), Map.of(
                "connector.dispatcher.threads", "2",
                "connector.dispatcher.batch-size", "20",
                "connector.shutdown-grace", "5s",
                "micronaut.lifecycle.graceful-shutdown.grace-period", GRACE.toSeconds() + "s"));
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            bodies.add(PactWebhooks.message(i % 2 == 0 ? "message-update-delivered" : "message-update-read",
                    9_000_000_000L + i / 2, 9_100_000_000L + i % 30));
        }
        Path log = Path.of("target/graceful-first.log");
        Files.deleteIfExists(log);
        ServiceProcess first = ServiceProcess.start("graceful-first", config);
        ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();
        AtomicInteger answered = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (String body : bodies) {
            pool.submit(() -> {
                try {
                    if (Http.postJson(first.baseUrl() + "/pact/webhooks/" + installation.pactHookKey(), body).statusCode() != 200) {
                        refused.add(body);
                    }
                } catch (RuntimeException connectionClosed) {
                    refused.add(body);
                } finally {
                    answered.incrementAndGet();
                }
            });
        }
        // SIGTERM while webhooks are still arriving: what the stopping service does not acknowledge, the sender
        // sends again (below, to the successor); what it acknowledged must not be lost.
        await().atMost(Duration.ofSeconds(60)).until(() -> answered.get() >= EVENTS / 2 && done(installation) >= 100);

        long start = System.nanoTime();
        int exit = first.terminate(GRACE.plusSeconds(5));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        pool.shutdown();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));

        assertTrue(took.compareTo(GRACE) < 0, "exited within the grace period: " + took);
        assertEquals(0, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'PROCESSING'",
                installation.id()), "nothing left in flight");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation_lease WHERE lease_until > NOW(3)"),
                "its leases were released, not left to expire");
        String output = Files.readString(log);
        int started = output.indexOf("event=shutdown_started");
        int released = output.indexOf("event=leases_released");
        assertTrue(started >= 0 && released > started && output.indexOf("event=worker_stopped", started) > started
                && output.indexOf("event=worker_stopped", started) < released, "readiness down, workers stopped, then leases released");
        long doneAtStop = done(installation);

        ServiceProcess second = ServiceProcess.start("graceful-second", config);
        try {
            for (String body : refused) {
                assertEquals(200, Http.postJson(second.baseUrl() + "/pact/webhooks/" + installation.pactHookKey(), body).statusCode());
            }
            await().atMost(Duration.ofSeconds(120)).until(() -> done(installation) == EVENTS);
        } finally {
            second.terminate(GRACE.plusSeconds(5));
        }
        assertEquals(EVENTS, sql.count("SELECT COUNT(*) FROM sync_log WHERE installation_id = ? AND kind = 'EVENT_PROCESSED'",
                installation.id()), "each event processed exactly once");
        System.out.printf("graceful shutdown: exit=%d in %d ms, done at stop=%d, resent=%d, all %d done after restart%n",
                exit, took.toMillis(), doneAtStop, refused.size(), EVENTS);
    }

    @Test
    void withTheEmbeddedDatabaseTheServerStopsOnlyAfterTheServiceHasDrained() throws Exception {
        Path log = Path.of("target/graceful-embedded.log");
        Files.deleteIfExists(log);
        ServiceProcess service = ServiceProcess.start("graceful-embedded", Map.of(
                "connector.embedded-db.data-dir", "target/graceful-embedded-db/data",
                "connector.encryption-key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                "micronaut.lifecycle.graceful-shutdown.grace-period", GRACE.toSeconds() + "s"));

        long start = System.nanoTime();
        service.terminate(GRACE.plusSeconds(5));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        String output = Files.readString(log);
        int released = output.indexOf("event=leases_released");
        int stopped = output.indexOf("event=embedded_db_stopped");
        assertTrue(released >= 0 && stopped > released, "leases released, then the database stopped:\n" + output);
        assertTrue(took.compareTo(GRACE) < 0, "exited within the grace period: " + took);
    }

    private long done(Installation installation) {
        return sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installation.id());
    }
}
