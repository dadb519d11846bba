package com.pactcrm.connector.widgetapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /api/v1/conversations/{id}/messages/updates}: a card waiting for news gets a new message or a status
 * change within 2 s of Pact's webhook, holds nothing once answered, and also hears of changes another replica
 * committed (the sweep).
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LiveCardUpdatesIT implements TestPropertyProvider {

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
    ConversationLinkRepository links;
    @Inject
    ConversationWaiters waiters;
    @Inject
    TestSql sql;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl());
    }

    private CompletableFuture<HttpResponse<String>> poll(String token, long conversation, String cursor, int wait) {
        return HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(URI.create(server.getURL()
                        + "/api/v1/conversations/" + conversation + "/messages/updates?cursor=" + cursor + "&wait=" + wait))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode page(String token, long conversation) throws Exception {
        return JSON.readTree(Http.get(server.getURL() + "/api/v1/conversations/" + conversation + "/messages",
                "Bearer " + token).body());
    }

    @Test
    void aWaitingCardGetsTheClientsMessageAndThenItsReplysTicksWithinTwoSeconds() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String token = sessions.issue(installation.id(), "1", "Ana", false);
        long conversation = PACT.seedConversation(1L, "whatsapp", "5511955550001");
        PACT.addClientMessage(conversation, "primeira", Instant.now().minusSeconds(120));
        links.link(installation.id(), conversation, "lead", "10", "whatsapp", "+5511955550001", "Carla");
        String cursor = page(token, conversation).get("cursor").asText();

        CompletableFuture<HttpResponse<String>> waiting = poll(token, conversation, cursor, 25);
        await().atMost(Duration.ofSeconds(10)).until(() -> waiters.waiting() == 1);
        long fresh = PACT.addClientMessage(conversation, "vocês entregam hoje?", Instant.now());
        long posted = System.nanoTime();
        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(), PACT.messageWebhook("create", fresh, null));
        HttpResponse<String> answer = waiting.get(10, TimeUnit.SECONDS);
        long millis = (System.nanoTime() - posted) / 1_000_000;
        System.out.println("live card: new client message seen " + millis + " ms after Pact's webhook");
        assertTrue(millis < 2000, "within 2 s of the webhook, took " + millis + " ms");
        JsonNode news = JSON.readTree(answer.body());
        assertTrue(news.get("messages").toString().contains("vocês entregam hoje?"), news.toString());
        assertEquals(0, waiters.waiting(), "an answered wait leaves nothing behind");

        JsonNode sent = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL()
                        + "/api/v1/conversations/" + conversation + "/messages")).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"requestId\":\"live-1\",\"text\":\"Entregamos sim\"}")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        String afterReply = page(token, conversation).get("cursor").asText();
        CompletableFuture<HttpResponse<String>> ticks = poll(token, conversation, afterReply, 25);
        await().atMost(Duration.ofSeconds(10)).until(() -> waiters.waiting() == 1);
        long readPosted = System.nanoTime();
        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PACT.messageWebhook("update", sent.get("id").asLong(), "read"));
        JsonNode read = JSON.readTree(ticks.get(10, TimeUnit.SECONDS).body());
        long readMillis = (System.nanoTime() - readPosted) / 1_000_000;
        System.out.println("live card: read status seen " + readMillis + " ms after Pact's webhook");
        assertTrue(readMillis < 2000, "within 2 s, took " + readMillis + " ms");
        JsonNode reply = null;
        for (JsonNode m : read.get("messages")) {
            if (m.get("id").asLong() == sent.get("id").asLong()) {
                reply = m;
            }
        }
        assertEquals("two ticks", reply.get("icon").asText(), read.toString());
    }

    @Test
    void aWaitWithoutNewsEndsEmptyAndAChangeCommittedElsewhereIsFoundByTheSweep() throws Exception {
        Installation installation = installations.create(CrmKind.AMOCRM, "pact-token-" + UUID.randomUUID(), 1L, null);
        String token = sessions.issue(installation.id(), "1", "Ana", false);
        long conversation = PACT.seedConversation(1L, "whatsapp", "5511955550002");
        links.link(installation.id(), conversation, "lead", "11", "whatsapp", "+5511955550002", null);
        String cursor = page(token, conversation).get("cursor").asText();

        long start = System.nanoTime();
        JsonNode nothing = JSON.readTree(poll(token, conversation, cursor, 1).get(10, TimeUnit.SECONDS).body());
        assertEquals(0, nothing.get("messages").size());
        assertTrue(System.nanoTime() - start >= 900_000_000L, "it waited for its second");
        assertEquals(0, waiters.waiting());

        CompletableFuture<HttpResponse<String>> waiting = poll(token, conversation, cursor, 25);
        await().atMost(Duration.ofSeconds(10)).until(() -> waiters.waiting() == 1);
        // As another replica's dispatcher would: the row is committed, but no event reaches this process.
        sql.update("INSERT INTO message_link (installation_id, pact_message_id, pact_conversation_id, income, status, text) "
                + "VALUES (?, ?, ?, TRUE, 'CREATED', 'de outra réplica')", installation.id(), 9_000_000_001L, conversation);
        JsonNode news = JSON.readTree(waiting.get(5, TimeUnit.SECONDS).body());
        assertTrue(news.get("messages").toString().contains("de outra réplica"), news.toString());
        assertEquals(400, Http.get(server.getURL() + "/api/v1/conversations/" + conversation
                + "/messages/updates?cursor=abc", "Bearer " + token).statusCode());
    }
}
