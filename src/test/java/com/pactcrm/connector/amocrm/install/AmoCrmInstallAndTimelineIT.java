package com.pactcrm.connector.amocrm.install;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.testsupport.AmoCrmNoteAnswers;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.StartedWireMock;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The amoCRM install hook against a WireMock amoCRM (token endpoint, account, webhooks, notes), then
 * Pact statuses arriving as notes in the lead's timeline through the real amoCRM adapter.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmInstallAndTimelineIT implements TestPropertyProvider {

    @RegisterExtension
    static final StartedWireMock AMO = new StartedWireMock();
    static final String CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";

    @Inject
    EmbeddedServer server;
    @Inject
    InstallationRepository installations;
    @Inject
    SecretCipher cipher;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "test.crm-double", "false",
                "connector.amocrm.client-id", CLIENT_ID,
                "connector.amocrm.client-secret", "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2",
                "connector.amocrm.redirect-uri", "https://connector.example.com/amocrm/oauth/callback",
                "connector.amocrm.scheme", "http",
                "connector.amocrm.allowed-host-suffixes", ".amocrm.ru,127.0.0.1",
                "connector.amocrm.read-timeout", "2s",
                "connector.public-url", "https://connector.example.com");
    }

    private String referer() {
        return "127.0.0.1:" + AMO.port();
    }

    private void stubAmoCrm() {
        AMO.resetAll();
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token")).willReturn(okJson(
                "{\"token_type\":\"Bearer\",\"expires_in\":86400,\"access_token\":\"amo-access-1f2e3d4c5b6a\","
                        + "\"refresh_token\":\"amo-refresh-a6b5c4d3e2f1\"}")));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(okJson(
                "{\"id\":29138932,\"name\":\"Acme Trading\",\"subdomain\":\"acme\",\"current_user_id\":8214877,"
                        + "\"country\":\"BR\",\"currency\":\"BRL\",\"_links\":{\"self\":{\"href\":\"https://acme.amocrm.ru/api/v4/account\"}}}")));
        AMO.stubFor(post(urlPathEqualTo("/api/v4/webhooks")).willReturn(okJson(
                "{\"id\":1123,\"destination\":\"https://connector.example.com/amocrm/webhooks/x\",\"created_at\":1763634600,"
                        + "\"updated_at\":1763634600,\"account_id\":29138932,\"created_by\":8214877,\"sort\":1,\"disabled\":false,"
                        + "\"settings\":[\"responsible_lead\"]}")));
        // One created note per note sent, in order, as amoCRM answers a batch (amocrm.md §4.4).
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).willReturn(AmoCrmNoteAnswers.created()));
        AMO.stubFor(patch(urlPathEqualTo("/api/v4/leads/notes")).willReturn(AmoCrmNoteAnswers.edited()));
    }

    private int install() {
        return Http.get(server.getURL() + "/amocrm/oauth/callback?code=def50200a1b2c3&referer=" + referer()
                + "&from_widget=1&client_id=" + CLIENT_ID).statusCode();
    }

    @Test
    void installStoresTheAccountOnceSubscribesWebhooksAndPactStatusesBecomeNotes() {
        stubAmoCrm();
        assertEquals(200, install());
        assertEquals(200, install(), "a re-install updates the same installation");

        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, "29138932").orElseThrow();
        assertEquals(1, sql.count("SELECT COUNT(*) FROM installation WHERE crm = 'AMOCRM' AND crm_account_id = '29138932'"));
        assertEquals(referer(), installation.crmHost());
        assertEquals("amo-access-1f2e3d4c5b6a", cipher.decrypt(installation.accessTokenEnc()));
        assertFalse(installation.refreshTokenEnc().contains("amo-refresh"), "stored encrypted");
        LoggedRequest subscribe = AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/webhooks"))).get(0);
        assertTrue(subscribe.getBodyAsString().contains("https://connector.example.com/amocrm/webhooks/" + installation.hookKey()),
                subscribe.getBodyAsString());
        assertTrue(subscribe.getBodyAsString().contains("responsible_lead") && subscribe.getBodyAsString().contains("note_contact"));
        for (String unread : List.of("\"add_", "\"update_", "\"delete_", "\"restore_", "\"status_")) {
            assertFalse(subscribe.getBodyAsString().contains(unread), "only the events a use-case reads: " + subscribe.getBodyAsString());
        }
        AMO.verify(postRequestedFor(urlPathEqualTo("/oauth2/access_token"))
                .withRequestBody(matchingJsonPath("$.grant_type", equalTo("authorization_code"))));

        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572213, 'lead', '31926520')", installation.id());
        String hook = server.getURL() + "/pact/webhooks/" + installation.pactHookKey();
        Http.postJson(hook, PactWebhooks.fixture("message-create-outgoing"));
        await().atMost(Duration.ofSeconds(20)).until(() -> noteBodies().size() == 1);
        Http.postJson(hook, PactWebhooks.fixture("message-update-read"));
        Http.postJson(hook, PactWebhooks.fixture("message-update-read"));
        Http.postJson(hook, PactWebhooks.fixture("message-update-delivered"));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installation.id()) == 3);
        await().atMost(Duration.ofSeconds(20)).until(() -> patchBodies().stream().anyMatch(b -> b.contains("lida")));
        List<String> notes = noteBodies();
        assertEquals(1, notes.size(), "one note per message: " + notes);
        assertTrue(notes.get(0).contains("\"note_type\":\"service_message\"") && notes.get(0).contains("\"service\":\"Pact\""),
                notes.get(0));
        assertTrue(notes.get(0).contains("na fila") && notes.get(0).contains("31926520"), notes.get(0));
        String noteId = crmEntryOf(installation, 2073572301L);
        List<String> edits = patchBodies();
        assertEquals(1, edits.size(), "read edits the note once; the duplicate and the late delivered add nothing: " + edits);
        assertTrue(edits.get(0).contains("\"id\":" + noteId) && edits.get(0).contains("✓✓ lida"), edits.get(0));
    }

    @Test
    void whenAmoCrmRefusesToEditTheStatusNoteTheNewStatusIsANewNote() {
        stubAmoCrm();
        assertEquals(200, install());
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, "29138932").orElseThrow();
        AMO.stubFor(patch(urlPathEqualTo("/api/v4/leads/notes")).atPriority(1).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/problem+json").withBody(fixture("error-400-validation.json"))));
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572555, 'lead', '31926555')", installation.id());
        String hook = server.getURL() + "/pact/webhooks/" + installation.pactHookKey();
        Http.postJson(hook, PactWebhooks.message("message-create-outgoing", 2073572556L, 2073572555L));
        await().atMost(Duration.ofSeconds(20)).until(() -> noteBodies().size() == 1);
        String clockNote = crmEntryOf(installation, 2073572556L);

        Http.postJson(hook, PactWebhooks.message("message-update-read", 2073572556L, 2073572555L));

        await().atMost(Duration.ofSeconds(20)).until(() -> noteBodies().size() == 2);
        assertTrue(noteBodies().get(1).contains("✓✓ lida"), noteBodies().get(1));
        assertEquals(1, patchBodies().size(), "the edit was tried once, then the status was added");
        await().atMost(Duration.ofSeconds(10)).until(() -> !clockNote.equals(crmEntryOf(installation, 2073572556L)));
    }

    @Test
    void aNoteWriteThatTimedOutIsLookedUpAndNotWrittenTwice() {
        stubAmoCrm();
        assertEquals(200, install());
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, "29138932").orElseThrow();
        stubFirstNoteWriteTimesOut("31926777");
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/leads/31926777/notes")).willReturn(okJson(notesList(31926777L,
                4000000777L, "Mensagem “Olá! Aqui é a Ana, da Loja Central.” — 🕓 na fila, aguardando o mensageiro"))));
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572777, 'lead', '31926777')", installation.id());

        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PactWebhooks.message("message-create-outgoing", 2073572778L, 2073572777L));

        await().atMost(Duration.ofSeconds(30)).until(() -> "4000000777".equals(crmEntryOf(installation, 2073572778L)));
        AMO.verify(WireMock.getRequestedFor(urlPathEqualTo("/api/v4/leads/31926777/notes"))
                .withQueryParam("filter[note_type][]", equalTo("service_message")));
        assertEquals(1, noteBodies().stream().filter(b -> b.contains("31926777")).count(),
                "the note amoCRM wrote before our timeout is found, not written again");
    }

    @Test
    void aNoteWriteThatTimedOutAndIsNotFoundIsWrittenAgain() {
        stubAmoCrm();
        assertEquals(200, install());
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, "29138932").orElseThrow();
        stubFirstNoteWriteTimesOut("31926888");
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/leads/31926888/notes")).willReturn(aResponse().withStatus(204)));
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572888, 'lead', '31926888')", installation.id());

        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PactWebhooks.message("message-create-outgoing", 2073572889L, 2073572888L));

        await().atMost(Duration.ofSeconds(30)).until(() -> crmEntryOf(installation, 2073572889L) != null);
        AMO.verify(WireMock.getRequestedFor(urlPathEqualTo("/api/v4/leads/31926888/notes")));
        assertEquals(2, noteBodies().stream().filter(b -> b.contains("31926888")).count(),
                "nothing found after the timeout: the note is written again");
    }

    /** amoCRM takes longer than our read timeout to answer the first note write for this lead, then answers normally. */
    private void stubFirstNoteWriteTimesOut(String leadId) {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).atPriority(1).inScenario("slow-" + leadId)
                .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("answered")
                .withRequestBody(WireMock.containing(leadId))
                .willReturn(okJson("{\"_embedded\":{\"notes\":[{\"id\":4000000999,\"entity_id\":" + leadId
                        + ",\"request_id\":\"0\"}]}}").withFixedDelay(4000)));
    }

    private static String notesList(long leadId, long noteId, String text) {
        return "{\"_page\":1,\"_embedded\":{\"notes\":[{\"id\":" + noteId + ",\"entity_id\":" + leadId
                + ",\"created_by\":0,\"updated_by\":0,\"created_at\":1763634600,\"updated_at\":1763634600,"
                + "\"note_type\":\"service_message\",\"params\":{\"service\":\"Pact\",\"text\":\"" + text
                + "\"},\"account_id\":29138932}]}}";
    }

    private String crmEntryOf(Installation installation, long messageId) {
        List<Map<String, Object>> rows = sql.query(
                "SELECT crm_entry_id FROM message_link WHERE installation_id = ? AND pact_message_id = ?",
                installation.id(), messageId);
        return rows.isEmpty() ? null : (String) rows.get(0).get("crm_entry_id");
    }

    private List<String> patchBodies() {
        return AMO.findAll(WireMock.patchRequestedFor(urlPathEqualTo("/api/v4/leads/notes"))).stream()
                .sorted(Comparator.comparing(LoggedRequest::getLoggedDate))
                .map(LoggedRequest::getBodyAsString).toList();
    }

    private static String fixture(String name) {
        try (var in = AmoCrmInstallAndTimelineIT.class.getResourceAsStream("/fixtures/amocrm/" + name)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aTokenAmoCrmRejectsEarlyIsRefreshedOnceAndTheNoteStillArrives() {
        stubAmoCrm();
        assertEquals(200, install());
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, "29138932").orElseThrow();
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).atPriority(1)
                .withHeader("Authorization", equalTo("Bearer amo-access-1f2e3d4c5b6a"))
                .willReturn(aResponse().withStatus(401).withHeader("Content-Type", "application/problem+json")
                        .withBody("{\"title\":\"Unauthorized\",\"type\":\"https://httpstatus.es/401\",\"status\":401,"
                                + "\"detail\":\"Token has expired\"}")));
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token")).atPriority(1)
                .withRequestBody(matchingJsonPath("$.grant_type", equalTo("refresh_token")))
                .willReturn(okJson("{\"token_type\":\"Bearer\",\"expires_in\":86400,\"access_token\":\"amo-access-2b3c4d\","
                        + "\"refresh_token\":\"amo-refresh-2b3c4d\"}")));
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, 2073572999, 'lead', '31926599')", installation.id());
        int before = noteBodies().size();

        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PactWebhooks.message("message-create-outgoing", 2073572998L, 2073572999L));

        await().atMost(Duration.ofSeconds(20)).until(() -> AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/leads/notes"))
                .withHeader("Authorization", equalTo("Bearer amo-access-2b3c4d"))).size() == 1);
        assertEquals(1, AMO.findAll(postRequestedFor(urlPathEqualTo("/oauth2/access_token"))
                .withRequestBody(matchingJsonPath("$.grant_type", equalTo("refresh_token")))).size());
        assertEquals("amo-access-2b3c4d", cipher.decrypt(installations.findById(installation.id()).orElseThrow().accessTokenEnc()));
        assertTrue(noteBodies().size() > before);
    }

    @Test
    void theButtonFlowInstallsOnlyWithAStateTheConnectorIssuedAndOnlyOnce() {
        stubAmoCrm();
        var start = Http.get(server.getURL() + "/amocrm/oauth/start");
        assertEquals(303, start.statusCode(), "a redirect to amoCRM's authorization page");
        String location = start.headers().firstValue("Location").orElseThrow();
        assertTrue(location.startsWith("https://www.amocrm.ru/oauth?") && location.contains("client_id=" + CLIENT_ID)
                && location.contains("mode=post_message"), location);
        String state = location.replaceAll(".*[?&]state=([^&]+).*", "$1");
        String callback = server.getURL() + "/amocrm/oauth/callback?code=def50200b2c3d4&referer=" + referer() + "&state=";

        assertEquals(400, Http.get(server.getURL() + "/amocrm/oauth/callback?code=def50200b2c3d4&referer=" + referer()).statusCode(),
                "no state");
        assertEquals(400, Http.get(callback + "bm90LWlzc3VlZC1ieS11cw").statusCode(), "a state we never issued");
        assertEquals(0, exchanges(), "nothing is sent to amoCRM for a refused callback");

        assertEquals(200, Http.get(callback + state).statusCode());
        assertEquals(1, exchanges());
        assertEquals(400, Http.get(callback + state).statusCode(), "a state works once");
        assertEquals(1, exchanges());
    }

    private int exchanges() {
        return AMO.findAll(postRequestedFor(urlPathEqualTo("/oauth2/access_token"))
                .withRequestBody(matchingJsonPath("$.grant_type", equalTo("authorization_code")))).size();
    }

    @Test
    void aRefererOutsideTheAllowedSuffixesIsRefusedWithoutSendingAnything() {
        int before = AMO.findAll(postRequestedFor(urlPathEqualTo("/oauth2/access_token"))).size();
        int status = Http.get(server.getURL() + "/amocrm/oauth/callback?code=abc&referer=evil.example.com&from_widget=1").statusCode();
        assertEquals(400, status);
        assertEquals(before, AMO.findAll(postRequestedFor(urlPathEqualTo("/oauth2/access_token"))).size());
    }

    private List<String> noteBodies() {
        return AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/leads/notes"))).stream()
                .sorted(Comparator.comparing(LoggedRequest::getLoggedDate))
                .map(LoggedRequest::getBodyAsString).toList();
    }
}
