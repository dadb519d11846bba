package com.pactcrm.connector.pact.reconcile;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.sync.reconcile.Reconciliation;
import com.pactcrm.connector.sync.reconcile.ReconciliationJob;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.RecordingCrmGateway;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 15, nothing is lost when webhooks are: Pact's state changes while none of its webhooks reach the connector; the
 * catch-up reads them back from the stateful Pact fake (which enforces Pact's 10 conversation and 20 message reads a
 * minute per token) and the normal journal processes them, once.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PactCatchUpIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    TestInstallations installations;
    @Inject
    ReconciliationJob job;
    @Inject
    RecordingCrmGateway crm;
    @Inject
    StartChatUseCase startChat;
    @Inject
    TestSql sql;
    @Inject
    EmbeddedServer server;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl(), "connector.reconciliation.pact.max-conversations", "3",
                "connector.ops.token", "ops-token-for-catch-up");
    }


    @Test
    void aStatusAndANewClientWhoseWebhooksNeverCameAreFetchedBackOnce() throws Exception {
        Installation inst = installations.create(CrmKind.AMOCRM, "pact-token-catch-up-1", 1L,
                "{\"autoCreateClients\":true,\"history\":true}");
        startChat.start(inst, UUID.randomUUID().toString(), "lead", "7101",
                PactWriteFirstRequest.whatsapp("5511955550001", "Olá, seu pedido saiu"));
        await().atMost(Duration.ofSeconds(20)).until(() -> PACT.messagesWithText("Olá, seu pedido saiu") == 1);
        PactFake.FakeMessage sent = PACT.messages().stream().filter(m -> m.text().equals("Olá, seu pedido saiu"))
                .findFirst().orElseThrow();
        await().atMost(Duration.ofSeconds(20)).until(() -> !crm.timeline("lead", "7101").isEmpty());

        // Pact moves on; none of its webhooks reach the connector.
        PACT.setStatus(sent.id(), "read");
        PactFake.FakeMessage incoming = PACT.receive(1L, "whatsapp", "5511955550002", "Oi, vocês entregam no sábado?");

        Reconciliation run = job.run(inst);
        assertEquals("OK", run.lastOutcome(), run.lastDetail());
        assertEquals(2, run.lastRecovered(), run.lastDetail());
        await().atMost(Duration.ofSeconds(20)).until(() -> crm.timeline("lead", "7101").stream()
                .anyMatch(e -> e.text().endsWith("two ticks")));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM conversation_link "
                + "WHERE installation_id = ? AND pact_conversation_id = ?", inst.id(), incoming.conversationId()) == 1);
        assertEquals(1, crm.timeline("lead", "7101").size(), "the status entry edited in place, not a second one");

        // The next run learns one thing more: the new client's conversation, linked now, is unanswered in Pact.
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM inbound_event "
                + "WHERE installation_id = ? AND state <> 'DONE'", inst.id()) == 0);
        assertEquals(1, job.run(inst).lastRecovered());
        Reconciliation again = job.run(inst);
        assertEquals(0, again.lastRecovered(), "a catch-up of the same state again recovers nothing");
        assertEquals(3, again.totalRecovered());
        assertEquals(3, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND headers LIKE ?",
                inst.id(), "%X-Connector-Catch-Up: pact%"));
        // The recovered "unreplied" is journaled by the catch-up and processed by the dispatcher after it.
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM inbound_event "
                + "WHERE installation_id = ? AND state <> 'DONE'", inst.id()) == 0);
        assertEquals("unreplied", sql.queryOne("SELECT replied_state FROM conversation_link WHERE installation_id = ? "
                + "AND pact_conversation_id = ?", inst.id(), incoming.conversationId()).get("replied_state"));

        // The operator's health page shows it.
        JsonNode health = JSON.readTree(Http.get(server.getURL() + "/health", "Bearer ops-token-for-catch-up").body());
        JsonNode sync = health.at("/details/sync/details");
        assertTrue(sync.has("lastCatchUpAt"), health.toString());
        assertTrue(sync.path("catchUpRecoveredTotal").asLong() >= 2, sync.toString());
    }

    @Test
    void aBacklogIsCaughtUpOverSeveralRunsWithinPactsReadLimits() {
        String token = "pact-token-catch-up-2";
        Installation inst = installations.create(CrmKind.AMOCRM, token, 2L, "{\"autoCreateClients\":true}");
        // Five clients, each in a millisecond of their own (a run never splits one update time).
        List<PactFake.FakeMessage> lost = IntStream.range(0, 5).mapToObj(i -> {
            long now = System.currentTimeMillis();
            await().pollInterval(Duration.ofMillis(1)).until(() -> System.currentTimeMillis() > now);
            return PACT.receive(2L, "whatsapp", "55119666600" + i, "Mensagem perdida " + i);
        }).toList();

        Reconciliation run = job.run(inst);
        assertEquals("PARTIAL", run.lastOutcome(), run.lastDetail());
        assertEquals(3, run.lastRecovered(), "three conversations a run");
        // The next run starts where this one stopped (the conversation it ended with is looked at once more).
        for (int i = 0; i < 3 && !"OK".equals(run.lastOutcome()); i++) {
            run = job.run(inst);
        }
        assertEquals("OK", run.lastOutcome(), run.lastDetail());
        assertEquals(lost.size(), run.totalRecovered(), "each lost message journaled once");
        assertEquals(lost.size(), sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", inst.id()));
        await().atMost(Duration.ofSeconds(30)).until(() -> sql.count(
                "SELECT COUNT(*) FROM conversation_link WHERE installation_id = ?", inst.id()) == lost.size());
        assertEquals(lost.size(), sql.count("SELECT COUNT(DISTINCT crm_entity_id) FROM conversation_link WHERE installation_id = ?",
                inst.id()), "each client its own contact");
        assertEquals(lost.size(), sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? "
                + "AND kind = 'CRM_FIND_OR_CREATE_CLIENT'", inst.id()), "each client created once");
        assertTrue(PACT.maxCallsInAnyWindowForToken(token, "message-read", Duration.ofSeconds(60)) <= 20);
        assertTrue(PACT.maxCallsInAnyWindowForToken(token, "conversation-read", Duration.ofSeconds(60)) <= 10);
        assertEquals(0, PACT.calls().stream().filter(c -> c.token().equals(token) && c.rateLimited()).count(),
                "never refused by Pact");
    }
}
