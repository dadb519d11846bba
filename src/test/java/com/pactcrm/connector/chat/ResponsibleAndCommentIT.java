package com.pactcrm.connector.chat;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** CRM responsible and CRM notes reach the Pact conversation started from the card, through the outbox. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResponsibleAndCommentIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();

    @Inject
    TestInstallations installations;
    @Inject
    StartChatUseCase startChat;
    @Inject
    ResponsibleUseCase responsible;
    @Inject
    CommentUseCase comments;
    @Inject
    UserMappingRepository users;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl());
    }

    private long startChatOnLead(Installation installation, String leadId) {
        startChat.start(installation, UUID.randomUUID().toString(), "lead", leadId,
                PactWriteFirstRequest.whatsapp("55119" + leadId, "Olá"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM conversation_link WHERE installation_id = ? AND crm_entity_id = ?", installation.id(), leadId) == 1);
        return ((Number) sql.queryOne("SELECT pact_conversation_id FROM conversation_link WHERE installation_id = ? AND crm_entity_id = ?",
                installation.id(), leadId).get("pact_conversation_id")).longValue();
    }

    @Test
    void theLeadsResponsibleBecomesTheMappedPactOperator() {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        users.save(installation.id(), "501", "Ana Souza", 42L, "Ana Operadora", "MANUAL");
        long conversation = startChatOnLead(installation, "7001");

        String outcome = responsible.apply(installation, "lead", "7001", "501", 1L);
        assertTrue(outcome.contains("Pact operator 42"), outcome);
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(42L).equals(PACT.conversation(conversation).assigneeId()));

        assertTrue(responsible.apply(installation, "lead", "7001", "999", 2L).contains("not mapped"),
                "an unmapped user is reported, not guessed");
        responsible.apply(installation, "lead", "7001", "0", 3L);
        await().atMost(Duration.ofSeconds(20)).until(() -> PACT.conversation(conversation).assigneeId() == null);
    }

    @Test
    void aContactsResponsibleDoesNotOverrideTheLeadsUnderTheLeadPolicy() {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        users.save(installation.id(), "601", null, 61L, null, "MANUAL");
        long conversation = startChatOnLead(installation, "7002");
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) VALUES (?, ?, 'contact', '9002')",
                installation.id(), conversation);
        assertTrue(responsible.apply(installation, "contact", "9002", "601", 4L).contains("does not lead"));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND kind = 'PACT_UPDATE_CONVERSATION'",
                installation.id()));
    }

    @Test
    void aPersonsNoteBecomesTheClientCardComment() {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        long conversation = startChatOnLead(installation, "7003");
        comments.apply(installation, "lead", "7003", "Ana Souza", "Cliente prefere contato à tarde",
                Instant.parse("2026-11-20T14:05:00Z"), 5L);
        await().atMost(Duration.ofSeconds(20)).until(() -> PACT.conversation(conversation).note() != null);
        assertEquals("2026-11-20 14:05 UTC · Ana Souza: Cliente prefere contato à tarde", PACT.conversation(conversation).note());

        // A second note goes on top; the first stays below it (Pact's comment is replaced whole, so it is rewritten).
        comments.apply(installation, "lead", "7003", "Bruno Reis", "Enviou o comprovante", Instant.parse("2026-11-21T09:00:00Z"), 6L);
        await().atMost(Duration.ofSeconds(20)).until(() -> PACT.conversation(conversation).note().startsWith("2026-11-21"));
        assertEquals("2026-11-21 09:00 UTC · Bruno Reis: Enviou o comprovante\n\n"
                + "2026-11-20 14:05 UTC · Ana Souza: Cliente prefere contato à tarde", PACT.conversation(conversation).note());
    }

    @Test
    void theComposedCommentKeepsTheNewestWholeNotesThatFit() {
        String old = "x".repeat(900);
        String earlier = "2026-11-19 · A: " + old + CommentUseCase.SEPARATOR + "2026-11-18 · B: " + old;
        String composed = CommentUseCase.compose("2026-11-20 · C: " + "y".repeat(500), earlier);
        assertTrue(composed.length() <= CommentUseCase.MAX_LENGTH, "fits: " + composed.length());
        assertTrue(composed.startsWith("2026-11-20 · C: "), "newest first");
        assertTrue(composed.contains("2026-11-19 · A: "), "the next newest still fits");
        assertTrue(!composed.contains("2026-11-18"), "the oldest is dropped whole, not cut");
    }
}
