package com.pactcrm.connector.widgetapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.chat.ConversationLinkRepository;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactFake.FakeMessage;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code POST /api/v1/conversations/{id}/messages} and {@code POST /api/v1/attachments} against the Pact fake: one
 * Pact message per requestId (also when Pact applied it but the answer timed out), the writer as author and Pact
 * assignee, WhatsApp Business's 24-hour window, files checked before they go to Pact.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplyFromTheCardIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final ObjectMapper JSON = new ObjectMapper();
    static final byte[] PNG = ConversationHistoryIT.PNG;

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    SessionTokens sessions;
    @Inject
    ConversationLinkRepository links;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl(),
                "connector.pact.read-timeout", "1s",
                "connector.chats.wait", "15s",
                "connector.card.file-hosts", URI.create(PACT.baseUrl()).getHost(),
                "connector.card.max-photo-bytes", "100000");
    }

    @BeforeEach
    void reset() {
        PACT.reset();
        PACT.setFaultDelay(Duration.ofMillis(2500));
    }

    private HttpResponse<String> post(String token, String path, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL() + path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode messages(String token, long conversation) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL()
                + "/api/v1/conversations/" + conversation + "/messages")).header("Authorization", "Bearer " + token)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static HttpResponse<String> upload(String baseUrl, String token, String name, String type, byte[] content)
            throws Exception {
        String boundary = "----card" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name
                + "\"\r\nContent-Type: " + type + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(content);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/attachments"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    }

    private long conversation(Installation installation, String provider, String phone, Instant clientWroteAt) {
        long conversation = PACT.seedConversation(1L, provider, phone);
        if (clientWroteAt != null) {
            PACT.addClientMessage(conversation, "Oi, ainda tem?", clientWroteAt);
        }
        links.link(installation.id(), conversation, "lead", "900", provider, "+" + phone, "Maria Souza");
        return conversation;
    }

    private void mapUser(Installation installation, String crmUserId, long pactUserId) {
        sql.update("INSERT INTO user_mapping (installation_id, crm_user_id, crm_user_name, pact_user_id, source) "
                + "VALUES (?, ?, ?, ?, 'MANUAL')", installation.id(), crmUserId, "User " + crmUserId, pactUserId);
    }

    @Test
    void aReplyIsSentOnceAsItsWriterWhoBecomesTheAssigneeAndItsTicksFollowPact() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        mapUser(installation, "8123456", 501L);
        String token = sessions.issue(installation.id(), "8123456", "Ana Lima", false);
        long conversation = conversation(installation, "whatsapp", "5511987650001", Instant.now().minusSeconds(300));
        messages(token, conversation);

        String body = "{\"requestId\":\"reply-1\",\"text\":\"Tem sim, Maria! Posso reservar?\"}";
        HttpResponse<String> first = post(token, "/api/v1/conversations/" + conversation + "/messages", body);
        HttpResponse<String> again = post(token, "/api/v1/conversations/" + conversation + "/messages", body);

        assertEquals(200, first.statusCode(), first.body());
        JsonNode sent = JSON.readTree(first.body());
        assertEquals(sent.get("id").asLong(), JSON.readTree(again.body()).get("id").asLong(), "the same answer again");
        assertEquals(1, PACT.messagesWithText("Tem sim, Maria! Posso reservar?"), "one Pact message per requestId");
        FakeMessage atPact = PACT.messages().stream().filter(m -> m.id() == sent.get("id").asLong()).findFirst().orElseThrow();
        assertFalse(atPact.sendToCrm(), "Pact's own CRM integration must not copy it");
        assertFalse(atPact.writeFirst(), "a reply goes into the existing conversation");
        assertEquals("crm", sent.at("/author/kind").asText());
        assertEquals("Ana Lima", sent.at("/author/name").asText());
        assertEquals("clock", sent.get("icon").asText());
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(501L).equals(PACT.conversation(conversation).assigneeId()));

        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PACT.messageWebhook("update", sent.get("id").asLong(), "delivered"));
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            JsonNode list = messages(token, conversation).get("messages");
            return "one tick".equals(list.get(list.size() - 1).get("icon").asText());
        });
        JsonNode list = messages(token, conversation).get("messages");
        assertEquals("Ana Lima", list.get(list.size() - 1).at("/author/name").asText(), "the author survives Pact's update");
    }

    @Test
    void anUnmappedWriterLeavesTheConversationToTheResponsiblesOperator() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        mapUser(installation, "700", 502L);
        String token = sessions.issue(installation.id(), "701", "Bruno", false);
        long conversation = conversation(installation, "whatsapp", "5511987650002", Instant.now().minusSeconds(60));
        links.setResponsible(installation.id(), "lead", "900", "700");

        assertEquals(200, post(token, "/api/v1/conversations/" + conversation + "/messages",
                "{\"requestId\":\"reply-2\",\"text\":\"Bom dia\"}").statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(502L).equals(PACT.conversation(conversation).assigneeId()));
    }

    @Test
    void whatsAppBusinessTakesFreeTextOnlyWithinTwentyFourHoursOfTheClientsLastMessage() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String token = sessions.issue(installation.id(), "1", "Ana", false);
        long late = conversation(installation, "whatsapp_business", "5511987650003", Instant.now().minus(Duration.ofHours(25)));
        long recent = conversation(installation, "whatsapp_business", "5511987650004", Instant.now().minus(Duration.ofHours(1)));

        JsonNode lateRule = messages(token, late).get("reply");
        assertTrue(lateRule.get("templateRequired").asBoolean());
        assertTrue(lateRule.get("reason").asText().contains("more than 24 hours"), lateRule.toString());
        HttpResponse<String> refused = post(token, "/api/v1/conversations/" + late + "/messages",
                "{\"requestId\":\"waba-1\",\"text\":\"Oi\"}");
        assertEquals(422, refused.statusCode());
        assertEquals("application/problem+json", refused.headers().firstValue("Content-Type").orElse(""));
        assertTrue(refused.body().contains("only an approved template"), refused.body());

        HttpResponse<String> template = post(token, "/api/v1/conversations/" + late + "/messages",
                "{\"requestId\":\"waba-2\",\"wabaTemplateId\":42,\"substitutions\":[\"Maria\"]}");
        assertEquals(200, template.statusCode(), template.body());
        FakeMessage sentTemplate = PACT.messages().stream().filter(m -> Long.valueOf(42L).equals(m.wabaId())).findFirst()
                .orElseThrow();
        assertEquals(late, sentTemplate.conversationId(), "the template reaches the same conversation");
        assertEquals(List.of("Maria"), sentTemplate.substitutions());

        JsonNode recentRule = messages(token, recent).get("reply");
        assertFalse(recentRule.get("templateRequired").asBoolean());
        assertTrue(Instant.parse(recentRule.get("windowEndsAt").asText()).isAfter(Instant.now().plus(Duration.ofHours(22))));
        assertEquals(200, post(token, "/api/v1/conversations/" + recent + "/messages",
                "{\"requestId\":\"waba-3\",\"text\":\"Claro!\"}").statusCode());
        assertEquals(0, PACT.messages().stream().filter(m -> "Oi".equals(m.text()) && m.conversationId() == late).count());
    }

    @Test
    void aPhotoFromTheCardIsCheckedUploadedAndSentAsOneMessage() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        Installation other = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String token = sessions.issue(installation.id(), "1", "Ana", false);
        long conversation = conversation(installation, "whatsapp", "5511987650005", Instant.now().minusSeconds(60));

        HttpResponse<String> wrongType = upload(server.getURL().toString(), token, "setup.exe", "application/x-msdownload", PNG);
        assertEquals(400, wrongType.statusCode());
        assertTrue(wrongType.body().contains("cannot be sent"), wrongType.body());
        HttpResponse<String> notAPng = upload(server.getURL().toString(), token, "foto.png", "image/png",
                "not an image".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, notAPng.statusCode());
        assertTrue(notAPng.body().contains("is not the image/png it says it is"), notAPng.body());
        byte[] big = new byte[150_000];
        System.arraycopy(PNG, 0, big, 0, PNG.length);
        HttpResponse<String> tooBig = upload(server.getURL().toString(), token, "grande.png", "image/png", big);
        assertEquals(413, tooBig.statusCode());
        assertTrue(tooBig.body().contains("at most"), tooBig.body());
        assertEquals(0, PACT.callCount("upload-attachment"), "nothing refused reached Pact");

        HttpResponse<String> uploaded = upload(server.getURL().toString(), token, "catalogo.png", "image/png", PNG);
        assertEquals(200, uploaded.statusCode(), uploaded.body());
        long attachmentId = JSON.readTree(uploaded.body()).get("attachmentId").asLong();
        assertEquals(PNG.length, JSON.readTree(uploaded.body()).get("size").asLong());

        String otherToken = sessions.issue(other.id(), "1", null, false);
        long otherConversation = conversation(other, "whatsapp", "5511987650006", Instant.now().minusSeconds(60));
        HttpResponse<String> foreign = post(otherToken, "/api/v1/conversations/" + otherConversation + "/messages",
                "{\"requestId\":\"file-x\",\"attachmentId\":" + attachmentId + "}");
        assertEquals(400, foreign.statusCode(), "another account's upload cannot be sent");
        assertEquals(400, post(token, "/api/v1/conversations/" + conversation + "/messages",
                "{\"requestId\":\"file-0\",\"attachmentId\":99}").statusCode());

        HttpResponse<String> sent = post(token, "/api/v1/conversations/" + conversation + "/messages",
                "{\"requestId\":\"file-1\",\"text\":\"Nosso catálogo\",\"attachmentId\":" + attachmentId + "}");
        assertEquals(200, sent.statusCode(), sent.body());
        FakeMessage atPact = PACT.messages().stream().filter(m -> "Nosso catálogo".equals(m.text())).findFirst().orElseThrow();
        assertEquals(attachmentId, atPact.attachmentId());
        JsonNode file = JSON.readTree(sent.body()).at("/attachments/0");
        assertEquals("catalogo.png", file.get("name").asText());
        assertTrue(file.get("image").asBoolean());
        assertEquals(200, Http.get(server.getURL() + file.get("url").asText()).statusCode());
    }

    @Test
    void aReplyPactAppliedButAnsweredTooLateIsLookedUpNotSentTwice() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String token = sessions.issue(installation.id(), "1", "Ana", false);
        long conversation = conversation(installation, "whatsapp", "5511987650007", Instant.now().minusSeconds(60));
        PACT.planFaults(PactFake.Fault.TIMEOUT_AFTER_APPLY);

        HttpResponse<String> r = post(token, "/api/v1/conversations/" + conversation + "/messages",
                "{\"requestId\":\"slow-1\",\"text\":\"Chegou?\"}");

        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, PACT.messagesWithText("Chegou?"), "the timed-out send was found, not repeated");
        assertEquals(1, PACT.callCount("send-message"));
        assertEquals("DONE", sql.queryOne("SELECT state FROM outbox_command WHERE installation_id = ? AND idempotency_key = ?",
                installation.id(), "reply:slow-1").get("state"));
    }
}
