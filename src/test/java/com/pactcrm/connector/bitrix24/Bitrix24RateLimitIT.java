package com.pactcrm.connector.bitrix24;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Many statuses for one portal: batched up to 50 per request, never beyond the portal's leaky bucket (here 3
 * burst, 1/s: tight enough that an unlimited client overflows it), and a 503 QUERY_LIMIT_EXCEEDED or a 429
 * OPERATION_TIME_LIMIT only delays.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Bitrix24RateLimitIT extends Bitrix24TestBase {

    static final double DRAIN = 1;
    static final int BURST = 3;

    @Override
    Map<String, String> extraProperties() {
        return Map.of("connector.bitrix24.drain-per-second", Double.toString(DRAIN),
                "connector.bitrix24.burst", Integer.toString(BURST),
                "connector.bitrix24.query-limit-backoff", "500ms");
    }

    Installation installation;

    @BeforeEach
    void installedPortal() {
        b24.reset();
        sql.update("DELETE FROM installation WHERE crm = 'BITRIX24'");
        installation = installWithPact();
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572213, 'deal', '8070')", installation.id());
    }

    private void postStatuses(long firstMessageId, int count) {
        String hook = server.getURL() + "/pact/webhooks/" + installation.pactHookKey();
        for (int i = 0; i < count; i++) {
            assertEquals(200, Http.postJson(hook, PactWebhooks.message("message-create-outgoing", firstMessageId + i, 2073572213L))
                    .statusCode());
        }
    }

    private void awaitAllWritten(long count) {
        await().atMost(Duration.ofSeconds(120)).until(() -> sql.count("SELECT COUNT(*) FROM message_link WHERE installation_id = ? "
                + "AND crm_entry_id IS NOT NULL", installation.id()) == count);
    }

    @Test
    void fiveHundredStatusesAreBatchedStayWithinTheBucketAndSurviveQueryLimitExceeded() {
        b24.plan(Bitrix24Fake.Fault.QUERY_LIMIT_EXCEEDED);

        postStatuses(3_000_000_000L, 500);

        awaitAllWritten(500);
        assertEquals(500, b24.comments("deal", "8070").size(), "each status once, none lost, none twice");
        assertEquals(500, sql.count("SELECT COUNT(DISTINCT crm_entry_id) FROM message_link WHERE installation_id = ?", installation.id()));
        assertWithinBucket(b24.calls());
        List<Bitrix24Fake.Call> batches = b24.calls("batch");
        assertTrue(batches.stream().allMatch(c -> c.commands() <= 50));
        assertTrue(batches.stream().anyMatch(c -> c.commands() == 50), "timeline entries go out 50 per batch");
        assertEquals(1, batches.stream().filter(c -> c.status() == 503).count(), "the 503 happened and was not repeated at once");
        assertTrue(batches.size() < 40, batches.size() + " batch calls for 500 entries");
    }

    @Test
    void operationTimeLimitWaitsUntilTheResetTime() {
        b24.plan(Bitrix24Fake.Fault.OPERATION_TIME_LIMIT);

        postStatuses(3_100_000_000L, 1);

        awaitAllWritten(1);
        List<Bitrix24Fake.Call> batches = b24.calls("batch").stream().filter(c -> c.commands() == 1).toList();
        Bitrix24Fake.Call refused = batches.stream().filter(c -> c.status() == 429).findFirst().orElseThrow();
        Bitrix24Fake.Call delivered = batches.stream().filter(c -> c.status() == 200).reduce((a, b) -> b).orElseThrow();
        assertTrue(Duration.between(refused.at(), delivered.at()).toMillis() >= 1000,
                "retried only after operating_reset_at: " + refused.at() + " → " + delivered.at());
        assertEquals(1, b24.comments("deal", "8070").size());
    }

    /** Replays the portal's leaky bucket over the arrivals it saw (one request of tolerance for network jitter). */
    private static void assertWithinBucket(List<Bitrix24Fake.Call> calls) {
        double level = 0;
        Bitrix24Fake.Call previous = null;
        for (Bitrix24Fake.Call call : calls) {
            if (previous != null) {
                level = Math.max(0, level - Duration.between(previous.at(), call.at()).toNanos() / 1e9 * DRAIN);
            }
            level += 1;
            assertTrue(level <= BURST + 1, "bucket overflowed at " + call.at() + ": " + level);
            previous = call;
        }
    }
}
