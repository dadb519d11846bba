package com.pactcrm.connector.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.pactcrm.connector.pact.client.PactApiException;
import com.pactcrm.connector.pact.client.PactAttachment;
import com.pactcrm.connector.pact.client.PactConversation;
import com.pactcrm.connector.pact.client.PactConversationUpdate;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.pact.client.PactMessage;
import com.pactcrm.connector.pact.client.PactSendMessageRequest;
import com.pactcrm.connector.pact.client.PactWabaTemplate;
import com.pactcrm.connector.pact.client.PactWebhook;
import com.pactcrm.connector.pact.client.PactWriteFirstRequest;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.testsupport.PactFake.FakeConversation;
import com.pactcrm.connector.testsupport.PactFake.FakeMessage;
import com.pactcrm.connector.testsupport.PactFake.Fault;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The fake's own behaviour, driven through the real client the way acceptance tests will drive it. */
@MicronautTest(transactional = false, startApplication = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PactFakeIT implements TestPropertyProvider {

    private static final long COMPANY = 154;
    @RegisterExtension
    private static final PactFake PACT = PactFake.start();

    @Inject
    PactGateway pact;

    private PactCredentials credentials;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "connector.pact.api-url", PACT.baseUrl(),
                "connector.pact.read-timeout", "3s",
                // Looser than Pact, so that the fake's own conversation-read limit is what the client meets.
                "connector.rate-limits.pact.conversation-read", "100/60s",
                "connector.circuit-breaker.window", "1000",
                "connector.circuit-breaker.minimum-calls", "1000");
    }

    @BeforeEach
    void resetPact() {
        PACT.reset();
        PACT.setFaultDelay(Duration.ofMillis(4500));
        credentials = newToken();
    }

    @Test
    void writeFirstCreatesAConversationAndReusesItForTheSameRecipient() {
        PactMessage first = pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("+7 900 123-45-67", "one"));
        PactMessage second = pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "two"));
        PactMessage other = pact.writeFirst(credentials, PactWriteFirstRequest.telegramByNickname("@jane_doe", "three"));

        assertEquals(first.conversationId(), second.conversationId());
        assertNotEquals(first.conversationId(), other.conversationId());
        assertTrue(first.conversationId() > Integer.MAX_VALUE);
        assertTrue(first.id() > Integer.MAX_VALUE);
        assertEquals("sent", first.status());
        assertNull(first.externalId());
        assertEquals(2, PACT.conversations().size());
        List<FakeMessage> messages = PACT.messages();
        assertEquals(List.of("one", "two", "three"), messages.stream().map(FakeMessage::text).toList());
        assertEquals("79001234567", messages.get(0).phone());
        assertEquals("jane_doe", messages.get(2).nickname());
        assertEquals("telegram_personal", messages.get(2).provider());
        assertTrue(messages.stream().noneMatch(FakeMessage::sendToCrm), "the client never asks Pact to copy to its CRM");
        assertTrue(messages.stream().allMatch(FakeMessage::writeFirst));
    }

    @Test
    void wabaWriteFirstRecordsTheTemplateAndSubstitutions() {
        pact.writeFirst(credentials, PactWriteFirstRequest.waba("79001234567", 3100000002L, List.of("Anna", "A-17")));

        FakeMessage message = PACT.messages().get(0);
        assertEquals("whatsapp_business", message.provider());
        assertEquals(3100000002L, message.wabaId());
        assertEquals(List.of("Anna", "A-17"), message.substitutions());
        assertNull(message.text());
    }

    @Test
    void sendInConversationAddsToItAndListsInOrder() {
        long conversationId = pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "hello"))
                .conversationId();

        PactMessage reply = pact.sendMessage(credentials, conversationId,
                new PactSendMessageRequest("see attached", 5000000001L, "wamid.X"));
        List<PactMessage> listed = pact.listMessages(credentials, conversationId, 1, 150);

        assertEquals(conversationId, reply.conversationId());
        assertEquals(List.of("hello", "see attached"), listed.stream().map(PactMessage::message).toList());
        FakeMessage recorded = PACT.messages().get(1);
        assertFalse(recorded.writeFirst());
        assertEquals(5000000001L, recorded.attachmentId());
        assertEquals("wamid.X", recorded.repliedToId());
        assertEquals(listed.get(1).id(), PACT.conversation(conversationId).lastMessageId());
    }

    @Test
    void sendingToAnUnknownConversationIsNotFound() {
        PactApiException e = assertThrows(PactApiException.class,
                () -> pact.sendMessage(credentials, 3_999_999_999L, new PactSendMessageRequest("x", null, null)));

        assertEquals(404, e.status());
        assertEquals(Disposition.PERMANENT, e.disposition());
        assertEquals(0, PACT.messages().size());
    }

    @Test
    void searchStripsALeadingPlusOrAtAndStaysWithinTheCompany() {
        long whatsapp = pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "a")).conversationId();
        long telegram = pact.writeFirst(credentials, PactWriteFirstRequest.telegramByNickname("jane_doe", "b"))
                .conversationId();
        pact.writeFirst(new PactCredentials(credentials.apiToken(), 999), PactWriteFirstRequest.whatsapp("79001234567", "c"));

        assertEquals(List.of(whatsapp), ids(pact.searchConversations(credentials, "+79001234567", 1, 25)));
        assertEquals(List.of(whatsapp), ids(pact.searchConversations(credentials, "79001234567", 1, 25)));
        assertEquals(List.of(telegram), ids(pact.searchConversations(credentials, "@jane_doe", 1, 25)));
        assertEquals(List.of(), ids(pact.searchConversations(credentials, "79990000000", 1, 25)));
        PactConversation found = pact.getConversation(credentials, whatsapp);
        assertEquals("79001234567", found.senderPhone());
        assertEquals("+79001234567", found.senderExternalPublicId());
    }

    @Test
    void updatesAndNotesAreRecordedOnTheConversation() {
        long id = pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "a")).conversationId();

        pact.updateConversation(credentials, id, PactConversationUpdate.assign(3000000077L));
        PactConversation archived = pact.updateConversation(credentials, id, PactConversationUpdate.state("archived", "replied"));
        FakeConversation assigned = PACT.conversation(id);
        pact.updateConversation(credentials, id, PactConversationUpdate.unassigned());
        pact.setConversationNote(credentials, id, "Deal #1234");

        assertEquals(3000000077L, assigned.assigneeId());
        assertEquals("archived", archived.operationalState());
        FakeConversation now = PACT.conversation(id);
        assertNull(now.assigneeId());
        assertEquals("replied", now.repliedState());
        assertEquals("Deal #1234", now.note());
        assertEquals(3, PACT.callCount("update-conversation"));
        assertEquals(1, PACT.callCount("note"));
    }

    @Test
    void webhooksStartInactiveAndAtMostFivePerCompany() {
        PactWebhook created = pact.registerWebhook(credentials, "https://c.example.com/hook/1");
        PactWebhook active = pact.activateWebhook(credentials, created.id());
        for (int i = 2; i <= 5; i++) {
            pact.registerWebhook(credentials, "https://c.example.com/hook/" + i);
        }

        PactApiException sixth = assertThrows(PactApiException.class,
                () -> pact.registerWebhook(credentials, "https://c.example.com/hook/6"));

        assertFalse(created.active());
        assertTrue(active.active());
        assertEquals(Disposition.PERMANENT, sixth.disposition());
        assertEquals(5, pact.listWebhooks(credentials).size());
        assertEquals(1, PACT.webhooks().stream().filter(PactFake.FakeWebhook::active).count());
    }

    @Test
    void templatesAreFilteredByCompany() {
        PACT.addWabaTemplate(COMPANY, 3100000002L, "order_ready", "Hello {{1}}, order {{2}} is ready", 2);
        PACT.addWabaTemplate(999, 3100000003L, "other_company", "Hi", 0);

        List<PactWabaTemplate> templates = pact.wabaTemplates(credentials, 1, 25);

        assertEquals(List.of(3100000002L), templates.stream().map(PactWabaTemplate::wabaId).toList());
        assertEquals(2, templates.get(0).substitutionsCount());
    }

    @Test
    void uploadsAnswerAnAttachmentThatCanBeSent() {
        PactAttachment file = pact.uploadAttachment(credentials, "invoice.pdf", "application/pdf", new byte[] {1, 2, 3});
        PactAttachment linked = pact.uploadAttachmentFromUrl(credentials, "https://crm.example.com/f/photo.jpg");
        long conversationId = pact.writeFirst(credentials, new PactWriteFirstRequest(PactWriteFirstRequest.WHATSAPP,
                "79001234567", null, null, null, null, file.id())).conversationId();

        assertEquals("invoice.pdf", file.fileName());
        assertEquals(3L, file.size());
        assertEquals("photo.jpg", linked.fileName());
        assertNotEquals(file.id(), linked.id());
        assertEquals(file.id(), PACT.messages().get(0).attachmentId());
        assertEquals(conversationId, PACT.messages().get(0).conversationId());
        assertEquals(2, PACT.callCount("upload"));
    }

    @Test
    void withHandshakesAWebhookIsKeptOnlyIfItsUrlAnswersPactsTestPost() {
        WireMockServer receiver = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        receiver.start();
        try {
            receiver.stubFor(WireMock.post("/ok").willReturn(WireMock.ok()));
            receiver.stubFor(WireMock.post("/broken").willReturn(WireMock.serverError()));
            PACT.enableWebhookHandshakes();

            PactWebhook kept = pact.registerWebhook(credentials, receiver.baseUrl() + "/ok");
            pact.activateWebhook(credentials, kept.id());
            PactApiException refused = assertThrows(PactApiException.class,
                    () -> pact.registerWebhook(credentials, receiver.baseUrl() + "/broken"));

            assertEquals(Disposition.PERMANENT, refused.disposition());
            assertEquals(List.of(receiver.baseUrl() + "/ok"), PACT.webhooks().stream().map(PactFake.FakeWebhook::url).toList());
            assertTrue(PACT.webhooks().get(0).active());
            assertEquals(List.of(200, 200, 500), PACT.webhookHandshakes().stream().map(PactFake.FakeHandshake::status).toList());
            receiver.verify(2, WireMock.postRequestedFor(WireMock.urlEqualTo("/ok"))
                    .withRequestBody(WireMock.equalToJson("{\"source\":\"pact.im\",\"operation\":\"test\"}")));
        } finally {
            receiver.stop();
        }
    }

    @Test
    void conversationReadsOverPactsLimitAreRejectedWithItsRealBody() {
        long id = pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "a")).conversationId();
        for (int i = 0; i < 10; i++) {
            pact.getConversation(credentials, id);
        }

        PactApiException eleventh = assertThrows(PactApiException.class, () -> pact.getConversation(credentials, id));

        assertEquals(Disposition.RATE_LIMITED, eleventh.disposition());
        assertEquals("too_many_requests", eleventh.code());
        assertTrue(eleventh.detail().matches("Please wait for \\d+ seconds"), eleventh.detail());
        Duration wait = eleventh.retryAfter().orElseThrow();
        assertTrue(wait.compareTo(Duration.ofSeconds(55)) >= 0 && wait.compareTo(Duration.ofSeconds(60)) <= 0,
                wait.toString());
        assertEquals(11, PACT.callCount("conversation-read"));
        assertEquals(1, PACT.rateLimitedCount("conversation-read"));
        assertEquals(11, PACT.maxCallsInAnyWindow("conversation-read", Duration.ofSeconds(60)));
    }

    @Test
    void theFakesSendLimitCountsPerToken() {
        PACT.setLimit("send", "2/60s");
        PactCredentials other = newToken();
        pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "a"));
        pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "b"));
        pact.writeFirst(other, PactWriteFirstRequest.whatsapp("79001234567", "c"));

        PactApiException third = assertThrows(PactApiException.class,
                () -> pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "d")));

        assertEquals(429, third.status());
        assertEquals(0, PACT.messagesWithText("d"));
        assertEquals(4, PACT.maxCallsInAnyWindow("send", Duration.ofSeconds(60)));
        assertEquals(3, PACT.maxCallsInAnyWindowForToken(credentials.apiToken(), "send", Duration.ofSeconds(60)));
        assertEquals(1, PACT.maxCallsInAnyWindowForToken(other.apiToken(), "write-first", Duration.ofSeconds(60)));
    }

    @Test
    void theClientsPacingKeepsWithinPactsRealSendLimit() {
        long started = System.nanoTime();
        for (int i = 0; i < 7; i++) {
            pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "paced " + i));
        }

        assertEquals(0, PACT.rateLimitedCount("send"));
        assertEquals(5, PACT.maxCallsInAnyWindow("send", Duration.ofSeconds(1)));
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(1)) > 0,
                "the sixth send had to wait for the first to leave the window");
    }

    @Test
    void plannedFaultsHitOneSendEachInOrderThenSendsAreNormal() {
        PACT.planFaults(Fault.RATE_LIMITED_2S, Fault.SERVER_ERROR, Fault.TIMEOUT_AFTER_APPLY,
                Fault.TIMEOUT_BEFORE_APPLY, Fault.NONE);

        PactApiException limited = assertThrows(PactApiException.class, () -> send("limited"));
        PactApiException broken = assertThrows(PactApiException.class, () -> send("broken"));
        PactApiException lateApplied = assertThrows(PactApiException.class, () -> send("late applied"));
        PactApiException lateLost = assertThrows(PactApiException.class, () -> send("late lost"));
        send("fine");
        send("normal again");

        assertEquals(Disposition.RATE_LIMITED, limited.disposition());
        assertEquals(Duration.ofSeconds(2), limited.retryAfter().orElseThrow());
        assertEquals(0, PACT.messagesWithText("limited"));
        assertEquals(Disposition.RETRY, broken.disposition());
        assertEquals(500, broken.status());
        assertEquals(0, PACT.messagesWithText("broken"));
        assertEquals(Disposition.RETRY_AMBIGUOUS, lateApplied.disposition());
        assertEquals(1, PACT.messagesWithText("late applied"), "applied before the answer was delayed");
        assertEquals(Disposition.RETRY_AMBIGUOUS, lateLost.disposition());
        assertEquals(0, PACT.messagesWithText("late lost"));
        assertEquals(1, PACT.messagesWithText("fine"));
        assertEquals(1, PACT.messagesWithText("normal again"));
        assertEquals(0, PACT.pendingFaults());
        assertEquals(List.of(Fault.RATE_LIMITED_2S, Fault.SERVER_ERROR, Fault.TIMEOUT_AFTER_APPLY,
                        Fault.TIMEOUT_BEFORE_APPLY, Fault.NONE, Fault.NONE),
                PACT.calls().stream().map(PactFake.FakeCall::fault).toList());
    }

    @Test
    void deniedTokensGetPactsHealthErrors() {
        PACT.denyToken(credentials.apiToken(), 402);

        PactApiException e = assertThrows(PactApiException.class,
                () -> pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "x")));

        assertEquals(Disposition.HEALTH, e.disposition());
        assertEquals("PAYMENT_REQUIRED", e.healthState().orElseThrow());
    }

    @Test
    void concurrentFirstMessagesToOnePhoneShareOneConversation() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(5);
        try {
            List<Future<PactMessage>> sends = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                PactCredentials token = newToken();
                int n = i;
                sends.add(pool.submit(() -> pact.writeFirst(token, PactWriteFirstRequest.whatsapp("79001234567", "c" + n))));
            }
            for (Future<PactMessage> send : sends) {
                send.get();
            }
        } finally {
            pool.shutdownNow();
        }

        assertEquals(1, PACT.conversations().size());
        assertEquals(5, PACT.messages().size());
        assertEquals(5, PACT.messages().stream().map(FakeMessage::id).distinct().count());
    }

    @Test
    void resetForgetsEverything() {
        send("before reset");
        PACT.planFaults(Fault.SERVER_ERROR);

        PACT.reset();

        assertEquals(0, PACT.messages().size());
        assertEquals(0, PACT.conversations().size());
        assertEquals(0, PACT.calls().size());
        assertEquals(0, PACT.pendingFaults());
    }

    private PactMessage send(String text) {
        // A fresh token per send: the client pauses a token after a 429, which would only slow this test down.
        credentials = newToken();
        return pact.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", text));
    }

    private static PactCredentials newToken() {
        return new PactCredentials("fake-token-" + UUID.randomUUID(), COMPANY);
    }

    private static List<Long> ids(List<PactConversation> conversations) {
        return conversations.stream().map(PactConversation::id).toList();
    }
}
