package com.pactcrm.connector.amocrm.webhook;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.chat.StartChatUseCase;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.mapping.UserMappingRepository;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** amoCRM webhooks (form-urlencoded, as amoCRM posts them) through journal and use-cases to the Pact fake. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmWebhookFlowIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final String FIXTURE_ACCOUNT = "29138932";

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    StartChatUseCase startChat;
    @Inject
    UserMappingRepository users;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl());
    }

    /** A fixture re-addressed to the test installation's account. */
    static String fixture(String name, Installation installation) {
        try (InputStream in = AmoCrmWebhookFlowIT.class.getResourceAsStream("/fixtures/amocrm-webhooks/" + name + ".txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip()
                    .replace("account_id%5D=" + FIXTURE_ACCOUNT, "account_id%5D=" + installation.crmAccountId())
                    .replace("account%5Bid%5D=" + FIXTURE_ACCOUNT, "account%5Bid%5D=" + installation.crmAccountId());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> post(String hookKey, String form) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL() + "/amocrm/webhooks/" + hookKey))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private long chatOnLead(Installation installation, String leadId) {
        startChat.start(installation, UUID.randomUUID().toString(), "lead", leadId, PactWriteFirstRequest.whatsapp("5511987650000", "Olá"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM conversation_link WHERE installation_id = ?", installation.id()) == 1);
        return ((Number) sql.queryOne("SELECT pact_conversation_id FROM conversation_link WHERE installation_id = ?",
                installation.id()).get("pact_conversation_id")).longValue();
    }

    @Test
    void responsibleChangeSetsTheMappedAssigneeAndAPersonsNoteBecomesTheComment() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        users.save(installation.id(), "938348", "Marina Costa", 77L, "Marina", "MANUAL");
        long conversation = chatOnLead(installation, "31926520");

        assertEquals(200, post(installation.hookKey(), fixture("responsible-lead", installation)).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(77L).equals(PACT.conversation(conversation).assigneeId()));

        assertEquals(200, post(installation.hookKey(), fixture("note-lead-common", installation)).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> PACT.conversation(conversation).note() != null);
        assertTrue(PACT.conversation(conversation).note().contains("Marina Costa: Клиент просит перезвонить после 18:00"),
                PACT.conversation(conversation).note());
    }

    @Test
    void theConnectorsOwnServiceNoteNeverLoopsBack() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        long conversation = chatOnLead(installation, "31926521");
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, ?, 'contact', '40512877')", installation.id(), conversation);
        assertEquals(200, post(installation.hookKey(), fixture("note-contact-service", installation)).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installation.id()) == 1);
        assertTrue(sql.queryOne("SELECT outcome FROM inbound_event WHERE installation_id = ?", installation.id())
                .get("outcome").toString().contains("not written by a person"));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND kind = 'PACT_CONVERSATION_NOTE'",
                installation.id()));
    }

    @Test
    void anEchoOfFiftyOfOurNotesInOneWebhookIsDoneOnceWithItsSummaryCutToTheColumn() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String oneNote = fixture("note-contact-service", installation).split("&contacts%5Bnote%5D%5B1%5D")[0];
        StringBuilder form = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            form.append(oneNote.replace("%5B0%5D", "%5B" + i + "%5D").replace("188231102", Long.toString(188232000L + i)))
                    .append('&');
        }
        form.append("account%5Bsubdomain%5D=acme&account%5Bid%5D=").append(installation.crmAccountId());

        assertEquals(200, post(installation.hookKey(), form.toString()).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installation.id()) == 1);
        Map<String, Object> event = sql.queryOne("SELECT outcome, attempts FROM inbound_event WHERE installation_id = ?",
                installation.id());
        assertEquals(255, event.get("outcome").toString().length(), event.get("outcome").toString());
        assertEquals(1, ((Number) event.get("attempts")).intValue());
    }

    /**
     * Hooks registered before the connector stopped subscribing to add, update, delete and status keep sending them
     * until registered again; a 4xx would count towards amoCRM disabling the hook (amocrm.md §2.4).
     */
    @Test
    void lifeCycleEventsOfAnEarlierSubscriptionAreAcknowledgedAndIgnored() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);

        for (String fixture : List.of("multi-entity", "lead-delete", "company-update")) {
            HttpResponse<String> r = post(installation.hookKey(), fixture(fixture, installation));
            assertEquals(200, r.statusCode(), fixture + " → " + r.body());
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installation.id()) == 3);
        assertEquals(3, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND attempts = 1"
                + " AND outcome LIKE '%Ignored ignored%'", installation.id()), "done at the first attempt, as ignored");
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", installation.id()));
    }

    @Test
    void anotherAccountsBodyOrAnUnknownKeyIs404AndDuplicatesAreAcknowledgedOnce() throws Exception {
        Installation installation = installations.amoCrm(null);
        assertEquals(404, post(installation.hookKey(), fixture("responsible-lead", installations.amoCrm(null))).statusCode());
        assertEquals(404, post("no-such-key", fixture("responsible-lead", installation)).statusCode());
        String body = fixture("lead-delete", installation);
        assertEquals(200, post(installation.hookKey(), body).statusCode());
        assertEquals(200, post(installation.hookKey(), body).statusCode());
        assertEquals(1, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ?", installation.id()));
        assertEquals(400, post(installation.hookKey(), "").statusCode());
    }
}
