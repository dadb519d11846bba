package com.pactcrm.connector.widgetapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.RecordingCrmGateway;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** POST /api/v1/chats as the card calls it, against the Pact fake. */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StartChatApiIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    SessionTokens sessions;
    @Inject
    TestSql sql;
    @Inject
    RecordingCrmGateway crm;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl());
    }

    private HttpResponse<String> post(String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.getURL() + "/api/v1/chats"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void writeFirstFromALeadOpensOneConversationEvenWhenTheRequestIsRepeated() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String token = sessions.issue(installation.id(), "8123456", "Ana", false);
        String body = "{\"requestId\":\"r-1\",\"entityType\":\"lead\",\"entityId\":\"31926520\",\"provider\":\"whatsapp\","
                + "\"phone\":\"+55 (11) 98765-4321\",\"text\":\"Olá João, aqui é a Ana da Loja Central\"}";

        HttpResponse<String> first = post(token, body);
        HttpResponse<String> again = post(token, body);

        assertEquals(200, first.statusCode(), first.body());
        JsonNode sent = JSON.readTree(first.body());
        assertEquals("sent", sent.get("status").asText());
        assertTrue(sent.get("conversationId").asLong() > 0);
        assertEquals(sent.get("messageId").asLong(), JSON.readTree(again.body()).get("messageId").asLong());
        assertEquals(1, PACT.messagesWithText("Olá João, aqui é a Ana da Loja Central"), "a double click sends once");
        assertEquals("5511987654321", PACT.messages().stream()
                .filter(m -> m.text().startsWith("Olá João")).findFirst().orElseThrow().phone());
        assertEquals(1, sql.count("SELECT COUNT(*) FROM conversation_link WHERE installation_id = ? AND crm_entity_id = '31926520'",
                installation.id()));
        await().atMost(Duration.ofSeconds(20)).until(() -> crm.timeline("lead", "31926520").size() == 1);
        assertTrue(crm.timeline("lead", "31926520").get(0).text().contains("clock"), "the first note shows the clock");
    }

    @Test
    void theCardContextShowsTheEntityItsConversationAndTheTicksAsPactReportsThem() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String token = sessions.issue(installation.id(), "8123456", "Ana", false);
        JsonNode sent = JSON.readTree(post(token, "{\"requestId\":\"ctx-1\",\"entityType\":\"lead\",\"entityId\":\"555\","
                + "\"provider\":\"whatsapp\",\"phone\":\"5511987654321\",\"text\":\"Oi\"}").body());

        JsonNode context = JSON.readTree(get(token, "/api/v1/context?entityType=lead&entityId=555").body());
        assertEquals("João Silva", context.at("/entity/name").asText());
        assertEquals("5511987654321", context.at("/entity/phones/0").asText());
        assertEquals(sent.get("conversationId").asLong(), context.at("/conversations/0/conversationId").asLong());
        assertEquals("clock", context.at("/conversations/0/lastMessage/icon").asText());
        assertTrue(context.get("channels").toString().contains("telegram_personal"));

        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(), PactWebhooks.message(
                "message-update-read", sent.get("messageId").asLong(), sent.get("conversationId").asLong()));
        await().atMost(Duration.ofSeconds(20)).until(() -> JSON.readTree(get(token, "/api/v1/context?entityType=lead&entityId=555")
                .body()).at("/conversations/0/lastMessage/icon").asText().equals("two ticks"));
        assertEquals(401, get("not-a-session", "/api/v1/context?entityType=lead&entityId=555").statusCode());
        assertEquals(403, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL()
                        + "/api/v1/context?entityType=lead&entityId=555")).header("Authorization", "Bearer " + token)
                .header("Origin", "https://rival.amocrm.ru").GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode(),
                "another account's page cannot use this installation's session");
        assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL()
                        + "/api/v1/context?entityType=lead&entityId=555")).header("Authorization", "Bearer " + token)
                .header("Origin", "https://" + installation.crmHost()).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(400, get(token, "/api/v1/context?entityType=task&entityId=555").statusCode());
    }

    private HttpResponse<String> get(String token, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL() + path))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void badInputGetsAPlainProblemAndNothingIsSent() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String token = sessions.issue(installation.id(), "1", null, false);
        HttpResponse<String> notAPhone = post(token, "{\"requestId\":\"r-2\",\"entityType\":\"lead\",\"entityId\":\"1\","
                + "\"provider\":\"whatsapp\",\"phone\":\"call me\",\"text\":\"Oi\"}");
        assertEquals(400, notAPhone.statusCode());
        assertEquals("application/problem+json", notAPhone.headers().firstValue("Content-Type").orElse(""));
        assertTrue(notAPhone.body().contains("not a phone number"), notAPhone.body());
        HttpResponse<String> wabaWithoutTemplate = post(token, "{\"requestId\":\"r-3\",\"entityType\":\"lead\",\"entityId\":\"1\","
                + "\"provider\":\"whatsapp_business\",\"phone\":\"5511987654321\",\"text\":\"Oi\"}");
        assertEquals(400, wabaWithoutTemplate.statusCode());
        assertTrue(wabaWithoutTemplate.body().contains("approved template"), wabaWithoutTemplate.body());
        assertEquals(401, post(null, "{}").statusCode());
        assertEquals(401, post("forged.token", "{}").statusCode());
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", installation.id()));
    }
}
