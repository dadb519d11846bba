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
 * The service runs as its own process on this test's database; it is killed with SIGKILL while it is
 * still processing, then started again. Nothing accepted may be lost, nothing processed twice.
 */
@MicronautTest(transactional = false)
@Property(name = "connector.dispatcher.enabled", value = "false")
@Property(name = "connector.relay.enabled", value = "false")
class KillNineRecoveryIT {

    @Inject
    TestInstallations installations;
    @Inject
    TestSql sql;

    @Test
    void killNineInTheMiddleOfProcessingLosesNothingAndProcessesNothingTwice() throws Exception {
        Installation installation = installations.amoCrm(null);
        Map<String, String> config = ServiceProcess.onDatabase(sql.jdbcUrl(), Map.of(
                "connector.dispatcher.lease", "3s",
                "connector.dispatcher.reap-every", "1s",
                "connector.dispatcher.threads", "2",
                "connector.dispatcher.batch-size", "20"));
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            bodies.add(PactWebhooks.message(i % 2 == 0 ? "message-update-delivered" : "message-update-read",
                    8_000_000_000L + i / 2, 8_100_000_000L + i % 40));
        }

        ServiceProcess first = ServiceProcess.start("kill9-first", config);
        ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();
        AtomicInteger accepted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        for (String body : bodies) {
            pool.submit(() -> {
                try {
                    if (Http.postJson(first.baseUrl() + "/pact/webhooks/" + installation.pactHookKey(), body).statusCode() == 200) {
                        accepted.incrementAndGet();
                    } else {
                        refused.add(body);
                    }
                } catch (RuntimeException connectionLost) {
                    refused.add(body);
                }
            });
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> done(installation) >= 300);
        first.kill9();
        pool.shutdown();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
        long doneAtKill = done(installation);
        assertTrue(doneAtKill < 3000, "killed half-way: " + doneAtKill + " done");

        ServiceProcess second = ServiceProcess.start("kill9-second", config);
        try {
            // What the dead process never acknowledged, Pact sends again.
            for (String body : refused) {
                assertEquals(200, Http.postJson(second.baseUrl() + "/pact/webhooks/" + installation.pactHookKey(), body).statusCode());
            }
            await().atMost(Duration.ofSeconds(120)).until(() -> done(installation) == 3000);
        } finally {
            second.terminate(Duration.ofSeconds(30));
        }
        assertEquals(3000, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", installation.id()));
        assertEquals(3000, sql.count("SELECT COUNT(*) FROM sync_log WHERE installation_id = ? AND kind = 'EVENT_PROCESSED'",
                installation.id()), "every event's processing committed exactly once");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM (SELECT inbound_event_id FROM sync_log WHERE installation_id = ? "
                + "AND kind = 'EVENT_PROCESSED' GROUP BY inbound_event_id HAVING COUNT(*) > 1) d", installation.id()));
        assertEquals(1500, sql.count("SELECT COUNT(*) FROM message_link WHERE installation_id = ?", installation.id()));
        System.out.printf("kill -9 recovery: accepted before kill=%d, resent=%d, done at kill=%d, done after restart=3000%n",
                accepted.get(), refused.size(), doneAtKill);
    }

    private long done(Installation installation) {
        return sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installation.id());
    }
}
