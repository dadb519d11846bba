package com.pactcrm.connector.amocrm;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.testsupport.AmoCrmNoteAnswers;
import com.pactcrm.connector.testsupport.AmoCrmDisposableTokens;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.StartedWireMock;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * "Write first" from an amoCRM lead card as a manager does it, with nothing faked inside the connector:
 * the widget install hook, the admin connecting Pact, the card's disposable token, the card context read
 * from amoCRM, the chat started twice with one requestId, and the clock note in the lead's timeline —
 * against a WireMock amoCRM and the stateful Pact fake.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmStartChatEndToEndIT implements TestPropertyProvider {

    @RegisterExtension
    static final StartedWireMock AMO = new StartedWireMock();
    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final int PORT = freePort();
    static final String CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";
    static final String CLIENT_SECRET = "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2";
    static final String ACCOUNT_ID = "29138932";
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    InstallationRepository installations;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("test.crm-double", "false");
        p.put("micronaut.server.port", Integer.toString(PORT));
        p.put("connector.public-url", "http://localhost:" + PORT);
        p.put("connector.pact.api-url", PACT.baseUrl());
        p.put("connector.amocrm.client-id", CLIENT_ID);
        p.put("connector.amocrm.client-secret", CLIENT_SECRET);
        p.put("connector.amocrm.redirect-uri", "https://connector.example.com/amocrm/oauth/callback");
        p.put("connector.amocrm.scheme", "http");
        p.put("connector.amocrm.allowed-host-suffixes", ".amocrm.ru,127.0.0.1");
        return p;
    }

    @Test
    void aManagerWritesFirstFromALeadCardOnceAndTheLeadShowsTheClock() throws Exception {
        stubAmoCrm();
        PACT.enableWebhookHandshakes();
        assertEquals(200, Http.get(url("/amocrm/oauth/callback?code=def50200e5f6&referer=127.0.0.1:" + AMO.port()
                + "&from_widget=1&client_id=" + CLIENT_ID)).statusCode());
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, ACCOUNT_ID).orElseThrow();

        String admin = session(8214877, true);
        HttpResponse<String> connected = send("PUT", "/api/v1/settings/pact", admin,
                "{\"apiToken\":\"pact-e2e-token-5f4e3d2c1b\",\"companyId\":1}");
        assertEquals(200, connected.statusCode(), connected.body());

        String manager = session(8123456, false);
        HttpResponse<String> context = send("GET", "/api/v1/context?entityType=lead&entityId=3000000201", manager, null);
        assertEquals(200, context.statusCode(), context.body());
        JsonNode card = JSON.readTree(context.body());
        assertEquals("WhatsApp: Ivan Petrov", card.at("/entity/name").asText(), context.body());
        assertTrue(card.at("/entity/phones").toString().contains("79001234567"), context.body());

        String chat = "{\"requestId\":\"7b1f0c2e-card-click\",\"entityType\":\"lead\",\"entityId\":\"3000000201\","
                + "\"provider\":\"whatsapp\",\"phone\":\"+7 900 123-45-67\",\"text\":\"Ivan, aqui é a Ana da Loja Central\"}";
        HttpResponse<String> first = send("POST", "/api/v1/chats", manager, chat);
        HttpResponse<String> doubleClick = send("POST", "/api/v1/chats", manager, chat);

        assertEquals(200, first.statusCode(), first.body());
        assertEquals(JSON.readTree(first.body()).get("messageId"), JSON.readTree(doubleClick.body()).get("messageId"));
        List<PactFake.FakeMessage> sent = PACT.messages().stream()
                .filter(m -> m.text() != null && m.text().startsWith("Ivan, aqui")).toList();
        assertEquals(1, sent.size(), "one Pact message for one requestId");
        assertEquals("79001234567", sent.get(0).phone(), "digits only");
        assertFalse(sent.get(0).sendToCrm(), "Pact's own CRM integration must not copy it again");
        assertTrue(sent.get(0).writeFirst());

        await().atMost(Duration.ofSeconds(20)).until(() -> leadNotes().size() == 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state <> 'DONE'", installation.id()) == 0);
        List<String> notes = leadNotes();
        assertEquals(1, notes.size(), notes.toString());
        assertTrue(notes.get(0).contains("\"entity_id\":3000000201") && notes.get(0).contains("na fila"), notes.get(0));

        // A lead this account does not have (amoCRM answers 204): nothing is queued, nothing reaches Pact.
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/leads/3000000999")).willReturn(aResponse().withStatus(204)));
        long commands = sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", installation.id());
        HttpResponse<String> ghost = send("POST", "/api/v1/chats", manager,
                chat.replace("3000000201", "3000000999").replace("7b1f0c2e-card-click", "7b1f0c2e-ghost-lead"));
        assertEquals(404, ghost.statusCode(), ghost.body());
        assertEquals(commands, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", installation.id()));
        assertEquals(1, PACT.messages().stream().filter(m -> m.text() != null && m.text().startsWith("Ivan, aqui")).count());
    }

    private void stubAmoCrm() {
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token")).willReturn(okJson(
                "{\"token_type\":\"Bearer\",\"expires_in\":86400,\"access_token\":\"amo-access-e2e-7c6b5a\","
                        + "\"refresh_token\":\"amo-refresh-e2e-a5b6c7\"}")));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(okJson(
                "{\"id\":" + ACCOUNT_ID + ",\"name\":\"Acme Trading\",\"subdomain\":\"acme\",\"current_user_id\":8214877}")));
        AMO.stubFor(post(urlPathEqualTo("/api/v4/webhooks")).willReturn(okJson(
                "{\"id\":1123,\"destination\":\"http://localhost/amocrm/webhooks/x\",\"disabled\":false,"
                        + "\"settings\":[\"responsible_lead\"]}")));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/leads/3000000201")).willReturn(hal("lead.json")));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/contacts/3000000101")).willReturn(hal("contact.json")));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/contacts/3000000102")).willReturn(aResponse().withStatus(204)));
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).willReturn(AmoCrmNoteAnswers.created()));
    }

    private String session(long userId, boolean admin) throws Exception {
        long now = Instant.now().getEpochSecond();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", "https://acme.amocrm.ru");
        claims.put("aud", "https://connector.example.com");
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("iat", now);
        claims.put("nbf", now);
        claims.put("exp", now + 1800);
        claims.put("account_id", Long.parseLong(ACCOUNT_ID));
        claims.put("subdomain", "acme");
        claims.put("client_uuid", CLIENT_ID);
        claims.put("user_id", userId);
        claims.put("is_admin", admin);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url("/api/v1/sessions/amocrm")))
                .header("X-Auth-Token", AmoCrmDisposableTokens.jwt("HS256", CLIENT_SECRET, claims))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body()).get("token").asText();
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url(path)))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<String> leadNotes() {
        return AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/leads/notes"))).stream()
                .map(LoggedRequest::getBodyAsString).toList();
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder hal(String fixture) {
        try (var in = AmoCrmStartChatEndToEndIT.class.getResourceAsStream("/fixtures/amocrm/" + fixture)) {
            return aResponse().withHeader("Content-Type", "application/hal+json")
                    .withBody(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String url(String path) {
        return "http://localhost:" + PORT + path;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
