package com.pactcrm.connector.widgetapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import com.pactcrm.connector.testsupport.TestInstallations;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /api/v1/conversations/{id}/messages}: the card's history, back-filled from the Pact fake once and then
 * served from what the connector stored; webhooks add to it; Pact's 20 message reads a minute per token hold.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConversationHistoryIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final ObjectMapper JSON = new ObjectMapper();
    /** The smallest PNG there is: one transparent pixel. */
    static final byte[] PNG = java.util.Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=");

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    SessionTokens sessions;
    @Inject
    ConversationLinkRepository links;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl(),
                "connector.card.file-hosts", URI.create(PACT.baseUrl()).getHost());
    }

    @BeforeEach
    void reset() {
        PACT.reset();
    }

    private HttpResponse<String> get(String token, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL() + path))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode page(String token, long conversationId, String query) throws Exception {
        HttpResponse<String> response = get(token, "/api/v1/conversations/" + conversationId + "/messages" + query);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    private static List<String> texts(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.get("messages").forEach(m -> out.add(m.get("text").asText()));
        return out;
    }

    @Test
    void theHistoryIsReadFromPactOnceThenPagedFromStoreAndWebhooksAddToIt() throws Exception {
        String pactToken = "pact-token-" + UUID.randomUUID();
        Installation installation = installations.create(CrmKind.AMOCRM, pactToken, 1L, null);
        String token = sessions.issue(installation.id(), "8123456", "Ana", false);
        long conversation = PACT.seedConversation(1L, "whatsapp", "5511987654321");
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(2));
        for (int i = 1; i <= 40; i++) {
            PACT.addClientMessage(conversation, "mensagem " + i, start.plus(Duration.ofMinutes(i)));
        }
        links.link(installation.id(), conversation, "lead", "777", "whatsapp", "+5511987654321", "João Silva");

        JsonNode newest = page(token, conversation, "?limit=30");
        assertEquals(30, newest.get("messages").size());
        assertEquals("mensagem 11", texts(newest).get(0), "a page runs oldest to newest");
        assertEquals("mensagem 40", texts(newest).get(29));
        assertTrue(newest.get("hasMore").asBoolean());
        JsonNode last = newest.get("messages").get(29);
        assertTrue(last.get("income").asBoolean());
        assertEquals("client", last.at("/author/kind").asText());
        assertEquals("João Silva", last.at("/author/name").asText());
        assertEquals(start.plus(Duration.ofMinutes(40)).toString(), last.get("at").asText());
        assertTrue(last.get("fromHistory").asBoolean());
        assertEquals(1, PACT.callCount("list-messages"), "the first opening reads Pact's history once");

        page(token, conversation, "?limit=30");
        assertEquals(1, PACT.callCount("list-messages"), "opening the card again reads nothing from Pact");

        String oldestShown = newest.get("messages").get(0).get("id").asText();
        JsonNode older = page(token, conversation, "?limit=30&before=" + oldestShown);
        assertEquals(10, older.get("messages").size());
        assertEquals("mensagem 1", texts(older).get(0));
        assertEquals("mensagem 10", texts(older).get(9));
        assertFalse(older.get("hasMore").asBoolean(), "Pact's one page held the whole history");
        assertEquals(1, PACT.callCount("list-messages"));

        long fresh = PACT.addClientMessage(conversation, "chegou agora", Instant.now());
        assertEquals(200, Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PACT.messageWebhook("create", fresh, null)).statusCode());
        await().atMost(Duration.ofSeconds(20)).until(() -> texts(page(token, conversation, "?limit=5")).contains("chegou agora"));
        JsonNode withFresh = page(token, conversation, "?limit=5");
        assertEquals("chegou agora", texts(withFresh).get(4), "the webhook's message is the newest");
        assertFalse(withFresh.get("messages").get(4).get("fromHistory").asBoolean());
        assertEquals(1, PACT.callCount("list-messages"), "webhooks cost no Pact read");
    }

    @Test
    void anotherAccountsConversationAndBadPagingAreRefusedWithAProblem() throws Exception {
        Installation mine = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        Installation theirs = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        long conversation = PACT.seedConversation(1L, "whatsapp", "5511900000001");
        long other = PACT.seedConversation(1L, "whatsapp", "5511900000002");
        long message = PACT.addClientMessage(other, "oi", Instant.now().minusSeconds(60));
        links.link(mine.id(), conversation, "lead", "1", "whatsapp", "+5511900000001", null);
        links.link(mine.id(), other, "lead", "2", "whatsapp", "+5511900000002", null);
        String theirToken = sessions.issue(theirs.id(), "1", null, false);
        String myToken = sessions.issue(mine.id(), "1", null, false);

        HttpResponse<String> foreign = get(theirToken, "/api/v1/conversations/" + conversation + "/messages");
        assertEquals(404, foreign.statusCode());
        assertEquals("application/problem+json", foreign.headers().firstValue("Content-Type").orElse(""));
        assertEquals(404, get(myToken, "/api/v1/conversations/999999/messages").statusCode());
        assertEquals(400, get(myToken, "/api/v1/conversations/abc/messages").statusCode());
        assertEquals(400, get(myToken, "/api/v1/conversations/" + conversation + "/messages?limit=-1").statusCode());
        page(myToken, other, "");
        HttpResponse<String> anchorElsewhere = get(myToken, "/api/v1/conversations/" + conversation
                + "/messages?before=" + message);
        assertEquals(400, anchorElsewhere.statusCode(), "a message of another conversation is no paging anchor");
        assertTrue(anchorElsewhere.body().contains("not in this conversation"), anchorElsewhere.body());
        assertEquals(401, get("forged", "/api/v1/conversations/" + conversation + "/messages").statusCode());
        assertEquals(0, PACT.calls().stream().filter(c -> c.path().contains("/" + conversation + "/")).count(),
                "refused calls read nothing from Pact");
    }

    @Test
    void aClientsPhotoIsShownThroughASignedLinkThatCarriesNothingOfPacts() throws Exception {
        String pactToken = "pact-token-" + UUID.randomUUID();
        Installation installation = installations.create(CrmKind.AMOCRM, pactToken, 1L, null);
        String token = sessions.issue(installation.id(), "1", null, false);
        long conversation = PACT.seedConversation(1L, "whatsapp", "5511900000003");
        PACT.addClientFile(conversation, "foto do produto", Instant.now().minusSeconds(30), "produto.png", "image/png", PNG);
        links.link(installation.id(), conversation, "lead", "3", "whatsapp", "+5511900000003", null);

        JsonNode file = page(token, conversation, "").at("/messages/0/attachments/0");
        assertEquals("produto.png", file.get("name").asText());
        assertEquals("image/png", file.get("mimeType").asText());
        assertEquals(PNG.length, file.get("size").asLong());
        assertTrue(file.get("image").asBoolean());
        String url = file.get("url").asText();
        assertTrue(url.startsWith("/files/"), url);
        assertFalse(url.contains(pactToken) || url.contains("cdn") || url.contains(PACT.baseUrl()), url);

        HttpResponse<byte[]> download = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL()
                + url)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, download.statusCode());
        assertEquals("image/png", download.headers().firstValue("Content-Type").orElse(""));
        assertArrayEquals(PNG, download.body());
        assertTrue(PACT.calls().stream().filter(c -> "cdn".equals(c.operation())).allMatch(c -> c.token() == null),
                "the Pact token never goes to the file host");

        String forged = url.replaceFirst("sig=.", "sig=A");
        assertEquals(403, Http.get(server.getURL() + forged).statusCode());
        String otherInstallation = url.replaceFirst("/files/\\d+/", "/files/" + (installation.id() + 1) + "/");
        assertEquals(403, Http.get(server.getURL() + otherInstallation).statusCode());
    }

    @Test
    void backFillingManyConversationsStaysWithinPactsTwentyMessageReadsAMinute() throws Exception {
        String pactToken = "pact-token-" + UUID.randomUUID();
        Installation installation = installations.create(CrmKind.AMOCRM, pactToken, 1L, null);
        String token = sessions.issue(installation.id(), "1", null, false);
        List<Long> conversations = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            long conversation = PACT.seedConversation(1L, "whatsapp", "55119100000" + (10 + i));
            PACT.addClientMessage(conversation, "oi " + i, Instant.now().minusSeconds(600));
            links.link(installation.id(), conversation, "lead", "4", "whatsapp", null, null);
            conversations.add(conversation);
        }
        int served = 0;
        for (long conversation : conversations) {
            JsonNode page = page(token, conversation, "");
            served++;
            if (page.get("messages").size() == 0) {
                assertTrue(page.get("hasMore").asBoolean(), "history not read yet: the card may ask again");
            }
        }
        assertEquals(24, served, "every card opening is answered, read or not");
        assertEquals(0, PACT.rateLimitedCount("message-read"), "Pact never had to refuse a read");
        assertTrue(PACT.maxCallsInAnyWindowForToken(pactToken, "message-read", Duration.ofSeconds(60)) <= 20);
        assertEquals(20, PACT.callCount("list-messages"), "20 reads fit in the minute; the rest wait for the next card opening");
    }
}
