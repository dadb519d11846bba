package com.pactcrm.connector.pact.outbox;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.sync.outbox.Outbox;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactFake.Fault;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Write-first commands through the outbox relay against a Pact fake that enforces Pact's real
 * per-token limits and answers 429 "Please wait 2 seconds", 500s and timeouts (some after applying
 * the message): every command must be delivered exactly once, within the limits.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PactCommandDeliveryIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();

    @Inject
    TestInstallations installations;
    @Inject
    StartChatUseCase startChat;
    @Inject
    Outbox outbox;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "connector.pact.api-url", PACT.baseUrl(),
                "connector.pact.read-timeout", "1s",
                "connector.circuit-breaker.minimum-calls", "1000",
                "connector.outbox.retry-ladder", "300ms,600ms,1s,1s,1s,1s,1s,1s");
    }

    @BeforeEach
    void reset() {
        PACT.reset();
    }

    @Test
    void everyCommandIsDeliveredExactlyOnceWithinTheLimitsDespite429s500sAndTimeouts() {
        String token = "pact-token-" + UUID.randomUUID();
        Installation installation = installations.create(CrmKind.AMOCRM, token, 1L, null);
        PACT.planFaults(Fault.RATE_LIMITED_2S, Fault.SERVER_ERROR, Fault.TIMEOUT_AFTER_APPLY, Fault.NONE,
                Fault.SERVER_ERROR, Fault.TIMEOUT_BEFORE_APPLY, Fault.RATE_LIMITED_2S, Fault.TIMEOUT_AFTER_APPLY,
                Fault.SERVER_ERROR);
        int commands = 20;
        for (int i = 0; i < commands; i++) {
            assertTrue(startChat.start(installation, "req-" + i, "lead", Integer.toString(4000 + i),
                    PactWriteFirstRequest.whatsapp("+55 11 98765-" + (4000 + i), "Olá " + i)));
        }
        assertFalse(startChat.start(installation, "req-0", "lead", "4000",
                PactWriteFirstRequest.whatsapp("+55 11 98765-4000", "Olá 0")), "a repeated request id queues nothing");

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND kind = 'PACT_WRITE_FIRST' AND state = 'DONE'", installation.id()) == commands);

        assertEquals(0, PACT.pendingFaults(), "every planned fault was met");
        for (int i = 0; i < commands; i++) {
            assertEquals(1, PACT.messagesWithText("Olá " + i), "message " + i + " exists exactly once at Pact");
        }
        assertTrue(PACT.messages().stream().allMatch(m -> !m.sendToCrm()), "send_to_crm is always false");
        assertTrue(PACT.messages().stream().allMatch(m -> m.phone().matches("\\d+")), "phones go out as digits");
        assertTrue(PACT.maxCallsInAnyWindowForToken(token, "send", Duration.ofSeconds(1)) <= 5);
        assertTrue(PACT.maxCallsInAnyWindowForToken(token, "send", Duration.ofSeconds(60)) <= 30);
        assertTrue(PACT.maxCallsInAnyWindowForToken(token, "conversation-read", Duration.ofSeconds(60)) <= 10);
        assertEquals(commands, sql.count("SELECT COUNT(*) FROM conversation_link WHERE installation_id = ?", installation.id()),
                "each new conversation is linked to the lead it was started from");
        assertEquals(commands, sql.count("SELECT COUNT(*) FROM message_link WHERE installation_id = ? AND status = 'SENT'",
                installation.id()));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state = 'DONE' "
                + "AND remote_id IS NULL", installation.id()), "remote ids are stored");
    }

    @Test
    void unpaidCompanyBecomesAHealthStateAndIsNotRetried() {
        String token = "pact-token-" + UUID.randomUUID();
        Installation installation = installations.create(CrmKind.AMOCRM, token, 1L, null);
        PACT.denyToken(token, 402);
        startChat.start(installation, "unpaid-1", "lead", "1", PactWriteFirstRequest.whatsapp("5511987654321", "Olá"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state = 'DEAD'", installation.id()) == 1);
        assertEquals(1, PACT.callCount("write-first"), "a 402 is not retried");
        assertEquals("PAYMENT_REQUIRED", sql.queryOne("SELECT state FROM installation_health WHERE installation_id = ? "
                + "AND component = 'PACT_BILLING'", installation.id()).get("state"));
        assertTrue(sql.queryOne("SELECT last_error FROM outbox_command WHERE installation_id = ?", installation.id())
                .get("last_error").toString().startsWith("PAYMENT_REQUIRED"));

        startChat.start(installation, "unpaid-2", "lead", "2", PactWriteFirstRequest.whatsapp("5511987654322", "Oi"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? "
                + "AND state = 'PENDING' AND last_error LIKE 'held%'", installation.id()) == 1);
        assertEquals(1, PACT.callCount("write-first"), "while the company is unpaid, Pact is not called again");

        PACT.reset();
        long dead = ((Number) sql.queryOne("SELECT id FROM outbox_command WHERE installation_id = ? AND state = 'DEAD'",
                installation.id()).get("id")).longValue();
        assertTrue(outbox.retryDead(installation.id(), dead), "the plan was paid: the admin retries the dead letter");
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE id = ? AND state = 'DONE'", dead) == 1);
        assertEquals(1, PACT.messagesWithText("Olá"));
        await().atMost(Duration.ofSeconds(20)).until(() -> PACT.messagesWithText("Oi") == 1);
    }
}
