package com.pactcrm.connector.testsupport;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A small stateful Pact for acceptance tests: a WireMock server on a dynamic port that keeps
 * conversations, messages, notes and webhooks per company, answers with Pact's v2 shapes (pact-im/api-doc
 * {@code content/en/v2}, {@code content/ru/v2}), enforces Pact's per-token rate limits
 * ({@code content/en/v2/rate-limits.md}) with its real 429 body, and can inject faults into send requests. Every request is recorded with its time, token
 * and operation, so tests can prove the connector stays within the limits.
 *
 * <p>Operations are the connector's limiter buckets ({@code send}, {@code conversation-read},
 * {@code message-read}, {@code template-read}, {@code upload}, {@code default}); each call also has an
 * endpoint name ({@code write-first}, {@code send-message}, {@code search-conversations},
 * {@code get-conversation}, {@code update-conversation}, {@code list-messages}, {@code waba-templates},
 * {@code upload-attachment}, {@code list-webhooks}, {@code register-webhook}, {@code update-webhook},
 * {@code note}). Query methods taking an "operation" accept either kind of name.
 *
 * <p>Thread-safe: requests and test-side queries share one lock; fault delays happen outside it.
 *
 * <p>Typical use, one fake per test class (starting a server per test is slow):
 * <pre>{@code
 * @RegisterExtension static final PactFake PACT = PactFake.start();   // stopped after the class
 * public Map<String, String> getProperties() {       // TestPropertyProvider
 *     return Map.of("connector.pact.api-url", PACT.baseUrl(), "connector.pact.read-timeout", "1s");
 * }
 * @BeforeEach void reset() { PACT.reset(); PACT.setFaultDelay(Duration.ofMillis(1500)); }
 * ...
 * PACT.planFaults(Fault.TIMEOUT_AFTER_APPLY);
 * assertEquals(1, PACT.messagesWithText("hello"));
 * assertTrue(PACT.maxCallsInAnyWindowForToken(token, "send", Duration.ofSeconds(1)) <= 5);
 * }</pre>
 */
public final class PactFake implements AfterAllCallback {

    /** What the next send request ({@code write-first} or {@code send-message}) suffers. */
    public enum Fault {
        /** Normal processing (limits still apply). */
        NONE,
        /** 429 "Please wait 2 seconds"; the message is not created. */
        RATE_LIMITED_2S,
        /** 500; the message is not created. */
        SERVER_ERROR,
        /** The message IS created, but the answer comes only after {@link #setFaultDelay(Duration)}. */
        TIMEOUT_AFTER_APPLY,
        /** The answer (504) comes only after {@link #setFaultDelay(Duration)}; the message is not created. */
        TIMEOUT_BEFORE_APPLY
    }

    /** One request as Pact saw it; {@code status} is what the fake answered. */
    public record FakeCall(Instant at, String token, String operation, String endpoint, String method, String path,
                           int status, Fault fault) {

        public boolean rateLimited() {
            return status == 429;
        }
    }

    /**
     * A message created by write-first or send-in-conversation; {@code phone} and {@code nickname} are the
     * conversation's recipient, {@code wabaId} and {@code substitutions} are set for WABA templates.
     */
    public record FakeMessage(long id, long companyId, long conversationId, String provider, String phone,
                              String nickname, String text, Long attachmentId, String repliedToId, Long wabaId,
                              List<String> substitutions, boolean sendToCrm, boolean writeFirst, Instant createdAt,
                              boolean income, String status) {

        FakeMessage withStatus(String newStatus) {
            return new FakeMessage(id, companyId, conversationId, provider, phone, nickname, text, attachmentId, repliedToId,
                    wabaId, substitutions, sendToCrm, writeFirst, createdAt, income, newStatus);
        }
    }

    /**
     * A conversation as the fake holds it. {@code assigneeId}, {@code note} are not part of Pact's
     * conversation object; the fake keeps them so tests can see what the connector set.
     */
    public record FakeConversation(long id, long companyId, String provider, String phone, String nickname,
                                   String operationalState, String repliedState, Long assigneeId, String note,
                                   Long lastMessageId) {
    }

    /** A company webhook. */
    public record FakeWebhook(long id, long companyId, String url, boolean active) {
    }

    /** One test POST to a webhook URL and the receiver's status (0 when it could not be reached). */
    public record FakeHandshake(Instant at, String url, int status) {
    }

    /** Pact's documented per-user limits ([D2] {@code content/en/v2/rate-limits.md}); other operations are unlimited. */
    public static final Map<String, String> PACT_LIMITS = Map.of(
            "send", "5/1s,30/60s",
            "conversation-read", "10/60s",
            "message-read", "20/60s",
            "template-read", "20/60s",
            "upload", "5/1s,30/60s");

    /**
     * Longer than the 1-2 s {@code connector.pact.read-timeout} tests should set, so timed-out faults really
     * time out; with the production 10 s, raise it with {@link #setFaultDelay(Duration)}.
     */
    public static final Duration DEFAULT_FAULT_DELAY = Duration.ofSeconds(3);

    private final WireMockServer server;
    private final PactFakeBackend backend;

    private PactFake(Clock clock) {
        this.backend = new PactFakeBackend(clock);
        // Fault delays hold a server thread each; leave room for parallel senders.
        this.server = new WireMockServer(options().dynamicPort().containerThreads(64).disableRequestJournal()
                .extensions(backend));
    }

    public static PactFake start() {
        return start(Clock.systemUTC());
    }

    /** With the connector's clock, if a test replaces it: the fake's windows must see the same time. */
    public static PactFake start(Clock clock) {
        PactFake fake = new PactFake(clock);
        fake.server.start();
        // Every request matches this stub; the backend's transformer writes the real answer.
        fake.server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200)));
        fake.backend.cdnBase = fake.server.baseUrl();
        return fake;
    }

    /** The value for {@code connector.pact.api-url}. */
    public String baseUrl() {
        return server.baseUrl();
    }

    /** Forgets all state, calls and planned faults; limits and fault delay go back to their defaults. */
    public void reset() {
        backend.reset();
    }

    public void stop() {
        server.stop();
    }

    /** As a {@code @RegisterExtension static final} field, the fake stops after its test class. */
    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    /** Replaces the limit of one operation, e.g. {@code "2/60s"} or {@code "5/1s,30/60s"}; {@code null} removes it. */
    public void setLimit(String operation, String spec) {
        backend.setLimit(operation, spec);
    }

    public void setFaultDelay(Duration delay) {
        backend.setFaultDelay(delay);
    }

    /** Faults for the next send requests, one per request in arrival order; afterwards sends are normal. */
    public void planFaults(Fault... faults) {
        backend.planFaults(List.of(faults));
    }

    public int pendingFaults() {
        return backend.pendingFaults();
    }

    /** Every call with this token is answered {@code status} (401, 402 or 403) with Pact's error body. */
    public void denyToken(String token, int status) {
        backend.denyToken(token, status);
    }

    public void addWabaTemplate(long companyId, long wabaId, String name, String body, int substitutionsCount) {
        backend.addWabaTemplate(companyId, wabaId, name, body, substitutionsCount);
    }

    public List<FakeCall> calls() {
        return backend.calls();
    }

    /** A connected messenger account of the company; from the first one on, the fake answers {@code /auths}. */
    public long addAuth(long companyId, String provider, String state, String phone) {
        return backend.addAuth(companyId, provider, state, phone);
    }

    /** An account connected or logged out (enabled, disabled) at Pact. */
    public void setAuthState(long authId, String state) {
        backend.setAuthState(authId, state);
    }

    /** A conversation Pact already has, without messages yet (e.g. one the client started). */
    public long seedConversation(long companyId, String provider, String phone) {
        return backend.seedConversation(companyId, provider, phone);
    }

    /** A text the client wrote at {@code at}; Pact lists it among the conversation's messages. */
    public long addClientMessage(long conversationId, String text, Instant at) {
        return backend.addClientMessage(conversationId, text, at, null, null, null);
    }

    /** A file the client sent (served by the fake's CDN at the {@code attachment_url} Pact gives). */
    public long addClientFile(long conversationId, String caption, Instant at, String fileName, String mimeType,
                              byte[] content) {
        return backend.addClientMessage(conversationId, caption, at, fileName, mimeType, content);
    }

    /**
     * Pact's v2 webhook for a message the fake holds ({@code event} create or update), with its contact and
     * conversation as Pact embeds them; {@code status} overrides the message's own (e.g. delivered, read).
     */
    public String messageWebhook(String event, long messageId, String status) {
        com.fasterxml.jackson.databind.node.ObjectNode object = backend.messageObject(messageId);
        if (status != null) {
            object.put("status", status);
            if (!"sent".equals(status)) {
                object.put("external_id", "wamid." + messageId);
            }
        }
        long conversationId = object.get("conversation_id").asLong();
        com.fasterxml.jackson.databind.node.ObjectNode conversation = backend.conversationObject(conversationId);
        object.set("conversation", conversation);
        boolean income = object.path("income").asBoolean();
        com.fasterxml.jackson.databind.node.ObjectNode contact = object.putObject("contact");
        if (income) {
            contact.put("id", 1_583_160_940L).put("external_id", conversation.path("sender_external_id").asText())
                    .put("external_public_id", conversation.path("sender_external_public_id").asText())
                    .put("name", conversation.path("sender_name").asText())
                    .put("phone", conversation.path("sender_phone").asText(null));
        } else {
            contact.put("id", 77).put("internal_id", 77).put("name", "Operadora Pact");
        }
        return "{\"event\":\"" + event + "\",\"type\":\"message\",\"object\":" + object + "}";
    }

    /** Calls of an operation or endpoint, accepted and rejected. */
    public int callCount(String operation) {
        return (int) calls().stream().filter(c -> matches(c, operation)).count();
    }

    /** Calls of an operation or endpoint that the fake answered 429. */
    public int rateLimitedCount(String operation) {
        return (int) calls().stream().filter(c -> matches(c, operation) && c.rateLimited()).count();
    }

    /**
     * The most calls of {@code operation} (accepted and rejected, all tokens) that fall in one window of
     * length {@code window}, both ends included: what a limit of that window would have counted.
     */
    public int maxCallsInAnyWindow(String operation, Duration window) {
        return maxInWindow(calls().stream().filter(c -> matches(c, operation)).map(FakeCall::at).toList(), window);
    }

    /** As {@link #maxCallsInAnyWindow(String, Duration)}, for one token only (Pact counts per token). */
    public int maxCallsInAnyWindowForToken(String token, String operation, Duration window) {
        return maxInWindow(calls().stream().filter(c -> token.equals(c.token()) && matches(c, operation))
                .map(FakeCall::at).toList(), window);
    }

    /**
     * A client writes in (as Pact would have told us in a webhook that never arrived): the company's conversation with
     * that phone, new or not, gets an incoming message and is unanswered. @return the message
     */
    public FakeMessage receive(long companyId, String provider, String phone, String text) {
        return backend.receive(companyId, provider, phone, text);
    }

    /** The messenger moved a message on ({@code delivered}, {@code read}, {@code error}); its conversation is updated. */
    public void setStatus(long messageId, String status) {
        backend.setStatus(messageId, status);
    }

    public List<FakeMessage> messages() {
        return backend.messages();
    }

    public long messagesWithText(String text) {
        return messages().stream().filter(m -> text.equals(m.text())).count();
    }

    public List<FakeConversation> conversations() {
        return backend.conversations();
    }

    public FakeConversation conversation(long id) {
        return conversations().stream().filter(c -> c.id() == id).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No conversation " + id));
    }

    public List<FakeWebhook> webhooks() {
        return backend.webhooks();
    }

    /**
     * From now until {@link #reset()}, setting, changing or activating a webhook URL first POSTs Pact's
     * {@code {"source":"pact.im","operation":"test"}} to it; unless it answers 200 the fake refuses the change
     * with 422 (Pact's answer in that case is undocumented). Off by default, so tests that register
     * placeholder URLs need no receiver.
     */
    public void enableWebhookHandshakes() {
        backend.enableWebhookHandshakes();
    }

    public List<FakeHandshake> webhookHandshakes() {
        return backend.handshakes();
    }

    private static boolean matches(FakeCall call, String operation) {
        return operation.equals(call.operation()) || operation.equals(call.endpoint());
    }

    private static int maxInWindow(List<Instant> times, Duration window) {
        List<Instant> sorted = times.stream().sorted().toList();
        int max = 0;
        int first = 0;
        for (int last = 0; last < sorted.size(); last++) {
            while (Duration.between(sorted.get(first), sorted.get(last)).compareTo(window) > 0) {
                first++;
            }
            max = Math.max(max, last - first + 1);
        }
        return max;
    }
}
