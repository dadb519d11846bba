package com.pactcrm.connector.pact.webhook;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.RecordingCrmGateway;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Pact webhooks through the real HTTP server, journal, dispatcher, use-cases, outbox and a CRM test double. */
@MicronautTest(transactional = false)
class PactWebhookPipelineIT {

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    TestSql sql;
    @Inject
    RecordingCrmGateway crm;

    private String hookUrl(Installation installation) {
        return server.getURL() + "/pact/webhooks/" + installation.pactHookKey();
    }

    private void link(Installation installation, long conversationId, String entityType, String entityId) {
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, ?, ?, ?)", installation.id(), conversationId, entityType, entityId);
    }

    @Test
    void handshakeIsAnsweredAndRecordedInHealth() {
        Installation installation = installations.amoCrm(null);
        HttpResponse<String> response = Http.postJson(hookUrl(installation), PactWebhooks.fixture("handshake"));
        assertEquals(200, response.statusCode());
        assertEquals("OK", sql.queryOne("SELECT state FROM installation_health WHERE installation_id = ? AND component = 'PACT_WEBHOOK'",
                installation.id()).get("state"));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", installation.id()));
    }

    @Test
    void unknownHookKeyGetsABare404Problem() {
        HttpResponse<String> response = Http.postJson(server.getURL() + "/pact/webhooks/not-a-key",
                PactWebhooks.fixture("message-update-read"));
        assertEquals(404, response.statusCode());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        assertFalse(response.body().contains("not-a-key"), response.body());
        assertFalse(response.body().contains("detail"), response.body());
    }

    @Test
    void malformedBodiesGetA400ProblemAndAreNotJournaled() {
        Installation installation = installations.amoCrm(null);
        HttpResponse<String> notJson = Http.postJson(hookUrl(installation), "{oops");
        assertEquals(400, notJson.statusCode());
        assertEquals("application/problem+json", notJson.headers().firstValue("Content-Type").orElse(""));
        assertTrue(notJson.body().contains("not JSON"), notJson.body());
        HttpResponse<String> noEnvelope = Http.postJson(hookUrl(installation), "{\"hello\":\"world\"}");
        assertEquals(400, noEnvelope.statusCode());
        assertEquals(0, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", installation.id()));
    }

    @Test
    void thousandDistinctWebhooksPlusThousandDuplicatesConcurrentlyAreJournaledAndProcessedOnce() throws Exception {
        Installation installation = installations.amoCrm(null);
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            String body = PactWebhooks.message("message-update-delivered", 5_000_000_000L + i, 7_000_000_000L + i % 50);
            bodies.add(body);
            bodies.add(body);
        }
        Collections.shuffle(bodies);
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<Future<Integer>> sent = new ArrayList<>();
        for (String body : bodies) {
            sent.add(pool.submit(() -> Http.postJson(hookUrl(installation), body).statusCode()));
        }
        for (Future<Integer> f : sent) {
            assertEquals(200, f.get());
        }
        pool.shutdown();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));

        assertEquals(1000, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", installation.id()));
        await().atMost(Duration.ofSeconds(60)).until(() ->
                sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installation.id()) == 1000);
        assertEquals(0, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND attempts <> 1", installation.id()));
        assertEquals(1000, sql.count("SELECT COUNT(*) FROM sync_log WHERE installation_id = ? AND kind = 'EVENT_PROCESSED'",
                installation.id()));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM (SELECT inbound_event_id FROM sync_log WHERE installation_id = ? "
                + "AND kind = 'EVENT_PROCESSED' GROUP BY inbound_event_id HAVING COUNT(*) > 1) d", installation.id()));
        assertEquals(1000, sql.count("SELECT COUNT(*) FROM message_link WHERE installation_id = ? AND status = 'DELIVERED'",
                installation.id()));
    }

    @Test
    void readThenLateDeliveredEndsAsReadAndTheCrmShowsTwoTicks() {
        Installation installation = installations.amoCrm(null);
        link(installation, 2073572213L, "lead", "31001");
        assertEquals(200, Http.postJson(hookUrl(installation), PactWebhooks.fixture("message-create-outgoing")).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> statusOf(installation, 2073572301L).equals("SENT")
                && crm.timeline("lead", "31001").size() == 1);
        assertEquals(200, Http.postJson(hookUrl(installation), PactWebhooks.fixture("message-update-read")).statusCode());
        assertEquals(200, Http.postJson(hookUrl(installation), PactWebhooks.fixture("message-update-delivered")).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() ->
                sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installation.id()) == 3);
        assertEquals("READ", statusOf(installation, 2073572301L));
        await().atMost(Duration.ofSeconds(20)).until(() ->
                crm.timeline("lead", "31001").get(0).text().contains("two ticks"));
        List<RecordingCrmGateway.Entry> timeline = crm.timeline("lead", "31001");
        assertEquals(1, timeline.size(), "one status entry per message, edited in place: " + timeline);
        assertEquals("wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDMDg5",
                sql.queryOne("SELECT external_id FROM message_link WHERE installation_id = ? AND pact_message_id = ?",
                        installation.id(), 2073572301L).get("external_id"));
    }

    @Test
    void errorIsKeptWithItsReason() {
        Installation installation = installations.amoCrm(null);
        link(installation, 2073572213L, "contact", "555");
        Http.postJson(hookUrl(installation), PactWebhooks.fixture("message-update-error"));
        Http.postJson(hookUrl(installation), PactWebhooks.fixture("message-update-delivered"));
        await().atMost(Duration.ofSeconds(20)).until(() ->
                sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installation.id()) == 2);
        var row = sql.queryOne("SELECT status, status_details FROM message_link WHERE installation_id = ? AND pact_message_id = ?",
                installation.id(), 2073572301L);
        assertEquals("ERROR", row.get("status"));
        assertTrue(row.get("status_details").toString().contains("not a WhatsApp user"));
        await().atMost(Duration.ofSeconds(20)).until(() -> !crm.timeline("contact", "555").isEmpty());
        assertTrue(crm.timeline("contact", "555").get(0).text().contains("error"));
    }

    @Test
    void disabledChannelBecomesAHealthState() {
        Installation installation = installations.amoCrm(null);
        Http.postJson(hookUrl(installation), PactWebhooks.fixture("auth-update-disabled"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM installation_health WHERE installation_id = ? AND component = 'PACT_CHANNEL:77' AND state = 'DISABLED'",
                installation.id()) == 1);
    }

    @Test
    void archivedAndDeletedConversationsAreNotedInTheCrm() {
        Installation installation = installations.amoCrm(null);
        link(installation, 2073572213L, "lead", "777");
        Http.postJson(hookUrl(installation), PactWebhooks.fixture("conversation-update-archived"));
        await().atMost(Duration.ofSeconds(20)).until(() -> crm.timeline("lead", "777").size() == 1);
        Http.postJson(hookUrl(installation), PactWebhooks.fixture("conversation-delete"));
        await().atMost(Duration.ofSeconds(20)).until(() -> crm.timeline("lead", "777").size() == 2);
        assertTrue(crm.timeline("lead", "777").get(1).text().contains("blocked"));
        assertEquals("blocked", sql.queryOne("SELECT operational_state FROM conversation_link WHERE installation_id = ?",
                installation.id()).get("operational_state"));
    }

    @Test
    void twoMessagesRacingInFromANewClientCreateOneContact() {
        Installation installation = installations.amoCrm("{\"autoCreateClients\":true,\"history\":true}");
        String first = PactWebhooks.message("message-create-incoming", 9_100_000_001L, 9_200_000_001L);
        String second = PactWebhooks.message("message-create-incoming", 9_100_000_002L, 9_200_000_001L);
        Http.postJson(hookUrl(installation), first);
        Http.postJson(hookUrl(installation), second);
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM conversation_link WHERE installation_id = ? AND pact_conversation_id = ?",
                installation.id(), 9_200_000_001L) == 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state = 'DONE'", installation.id()) >= 1);
        assertEquals(1, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND kind = 'CRM_FIND_OR_CREATE_CLIENT'",
                installation.id()));
    }

    @Test
    void statusesOfManyMessagesReachTheCrmInBatchesOfAtMostWhatItAccepts() throws Exception {
        Installation installation = installations.amoCrm(null);
        link(installation, 6_000_000_001L, "lead", "88001");
        int before = crm.batchSizes().size();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<Integer>> sent = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            String body = PactWebhooks.message("message-create-outgoing", 6_100_000_000L + i, 6_000_000_001L);
            sent.add(pool.submit(() -> Http.postJson(hookUrl(installation), body).statusCode()));
        }
        for (Future<Integer> f : sent) {
            assertEquals(200, f.get());
        }
        pool.shutdown();
        await().atMost(Duration.ofSeconds(60)).until(() -> crm.timeline("lead", "88001").size() == 150);
        List<Integer> batches = crm.batchSizes().subList(before, crm.batchSizes().size());
        assertTrue(batches.stream().allMatch(size -> size <= 50), batches.toString());
        assertTrue(batches.size() < 150, "entries travel together, not one call each: " + batches);
    }

    private String statusOf(Installation installation, long messageId) {
        var rows = sql.query("SELECT status FROM message_link WHERE installation_id = ? AND pact_message_id = ?",
                installation.id(), messageId);
        return rows.isEmpty() ? "" : rows.get(0).get("status").toString();
    }
}
