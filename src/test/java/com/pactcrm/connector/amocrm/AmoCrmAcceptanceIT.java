package com.pactcrm.connector.amocrm;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.pactcrm.connector.amocrm.client.AmoCrmApiException;
import com.pactcrm.connector.crm.CrmPayloads.ConversationStatePayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageHistoryPayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageStatusPayload;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import com.pactcrm.connector.testsupport.AmoCrmNoteAnswers;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.StartedWireMock;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The amoCRM issue's acceptance items end to end: Pact webhooks in over HTTP, the real amoCRM adapter out to a
 * WireMock amoCRM shaped like API v4, real MariaDB in between. Each test installs its own account through
 * {@code GET /amocrm/oauth/callback} with its own access token, so the fake's requests (and its per-account
 * failures) are told apart by the {@code Authorization} header. All accounts share the fake's host, hence one
 * rate-limit bucket, and the tests run one after another.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmAcceptanceIT implements TestPropertyProvider {

    @RegisterExtension
    static final StartedWireMock AMO = new StartedWireMock(options().dynamicPort().bindAddress("127.0.0.1")
            .containerThreads(40));
    static final String CLIENT_ID = "6a1b3c9e-2f4d-4e8a-9b7c-0d1e2f3a4b5c";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern MSG = Pattern.compile("msg-(\\d+)”");
    static final AtomicLong IDS = new AtomicLong(2_090_000_000L);

    @Inject
    EmbeddedServer server;
    @Inject
    InstallationRepository installations;
    @Inject
    TestSql sql;
    @Inject
    Outbox outbox;
    @Inject
    TransactionOperations<Connection> tx;

    final ExecutorService pool = Executors.newFixedThreadPool(16);

    @Override
    public Map<String, String> getProperties() {
        Map<String, String> p = new HashMap<>();
        p.put("test.crm-double", "false");
        p.put("connector.amocrm.client-id", CLIENT_ID);
        p.put("connector.amocrm.client-secret", "Wq9ZtN3pXk8LmR2vYb6HcJ4sDf7GhUe1QaTo5IwPzVxSnMy0BlKrCjEgFiAdOuT2");
        p.put("connector.amocrm.redirect-uri", "https://connector.example.com/amocrm/oauth/callback");
        p.put("connector.amocrm.scheme", "http");
        p.put("connector.amocrm.allowed-host-suffixes", ".amocrm.ru,127.0.0.1");
        p.put("connector.public-url", "https://connector.example.com");
        p.put("connector.outbox.retry-ladder", "200ms,400ms,800ms,1s,1s,1s");
        // Long enough that held commands stay held for the rest of the class.
        p.put("connector.outbox.health-hold", "5m");
        return p;
    }

    @BeforeAll
    void stubCommon() {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/webhooks")).willReturn(okJson(
                "{\"id\":1123,\"destination\":\"https://connector.example.com/amocrm/webhooks/x\",\"created_at\":1763634600,"
                        + "\"updated_at\":1763634600,\"account_id\":29138932,\"created_by\":8214877,\"sort\":1,\"disabled\":false,"
                        + "\"settings\":[\"responsible_lead\"]}")));
        // One created note per note sent, in order, with the request_id echoed, as amoCRM answers a batch (amocrm.md §4.4).
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).atPriority(5).willReturn(AmoCrmNoteAnswers.created()));
    }

    @AfterAll
    void stop() {
        pool.shutdownNow();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. 300 statuses: ≤ 7 requests/s, batched ≤ 50, every message one note.

    @Test
    void threeHundredStatusesArriveAsBatchedNotesWithinSevenRequestsPerSecond() {
        String token = "amo-access-rate-0001";
        Installation inst = install(30_000_001L, token);
        long conversation = IDS.incrementAndGet();
        link(inst, conversation, "31926520");

        List<Long> ids = newIds(300);
        postAll(inst, ids.stream().map(id -> outgoing(id, conversation, "msg-" + id)).toList());

        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
                .until(() -> noteCounts(token).size() == 300);
        await().atMost(Duration.ofSeconds(10)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state = 'DONE'", inst.id()) == 300);

        Map<Long, Integer> counts = noteCounts(token);
        assertEquals(300, counts.size(), "every message has a note");
        assertTrue(ids.stream().allMatch(id -> counts.getOrDefault(id, 0) == 1), "each message exactly once: " + counts);

        List<LoggedRequest> requests = notesRequests(token);
        List<Integer> perRequest = requests.stream().map(r -> notes(r).size()).toList();
        int maxPerRequest = perRequest.stream().mapToInt(Integer::intValue).max().orElse(0);
        assertTrue(maxPerRequest <= 50, "no request carries more than 50 notes: " + perRequest);
        assertTrue(maxPerRequest > 1, "notes are batched: " + perRequest);
        assertTrue(requests.size() <= 300 / 5, "300 notes in " + requests.size() + " requests: " + perRequest);
        for (LoggedRequest r : requests) {
            for (JsonNode n : notes(r)) {
                assertEquals("service_message", n.path("note_type").asText());
                assertEquals("Pact", n.path("params").path("service").asText());
                assertEquals(31926520L, n.path("entity_id").asLong());
            }
        }

        // Every call to the fake host (this test only talks to this account) counts against the 7 rps limit.
        int maxPerSecond = maxInAnySecond(AMO.findAll(anyRequestedFor(anyUrl())
                .withHeader("Authorization", equalTo("Bearer " + token))));
        System.out.printf("amoCRM acceptance: 300 notes in %d requests, notes per request %s, max %d requests in any 1 s%n",
                requests.size(), perRequest, maxPerSecond);
        assertTrue(maxPerSecond <= 7, "at most 7 requests in any 1 s window, saw " + maxPerSecond);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. A 429: back off, nothing lost, nothing doubled.

    @Test
    void a429BacksOffAndLosesNothing() {
        String token = "amo-access-429-0002";
        Installation inst = install(30_000_002L, token);
        long conversation = IDS.incrementAndGet();
        link(inst, conversation, "31926521");
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).atPriority(1)
                .withHeader("Authorization", equalTo("Bearer " + token))
                .inScenario("amo-429").whenScenarioStateIs(Scenario.STARTED).willSetStateTo("recovered")
                .willReturn(aResponse().withStatus(429).withHeader("Content-Type", "application/problem+json")
                        .withBody(fixture("error-429.json"))));

        List<Long> ids = newIds(20);
        postAll(inst, ids.stream().map(id -> outgoing(id, conversation, "msg-" + id)).toList());

        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state = 'DONE'", inst.id()) == 20);
        // Two lanes may each have had a call on its way when the 429 came back (both within the limit as counted;
        // the fake's one-shot scenario may then refuse both); no call starts after it, for the back-off.
        List<ServeEvent> answered = AMO.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getUrl().startsWith("/api/v4/leads/notes")
                        && ("Bearer " + token).equals(e.getRequest().getHeader("Authorization")))
                .sorted(Comparator.comparing(e -> e.getRequest().getLoggedDate()))
                .toList();
        List<LoggedRequest> refused = answered.stream().filter(e -> e.getResponse().getStatus() == 429)
                .map(ServeEvent::getRequest).toList();
        List<LoggedRequest> accepted = answered.stream().filter(e -> e.getResponse().getStatus() == 200)
                .map(ServeEvent::getRequest).toList();
        assertTrue(!refused.isEmpty() && !accepted.isEmpty(), "a refused request and some after it: " + answered.size());
        long refusedAt = refused.get(0).getLoggedDate().getTime();
        List<Long> during = accepted.stream().map(r -> r.getLoggedDate().getTime() - refusedAt)
                .filter(ms -> ms >= 100 && ms < 950).toList();
        assertEquals(List.of(), during, "after a 429 the account is left alone for the back-off (1 s)");
        assertTrue(accepted.stream().anyMatch(r -> r.getLoggedDate().getTime() - refusedAt >= 950), "and called after it");

        Map<Long, Integer> counts = new HashMap<>();
        accepted.forEach(r -> countNotes(r, counts));
        assertTrue(ids.stream().allMatch(id -> counts.getOrDefault(id, 0) == 1),
                "every message's note arrives exactly once after the 429: " + counts);
        assertEquals(20, counts.size());
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state <> 'DONE'",
                inst.id()));
        assertEquals(0, sql.count("SELECT COUNT(*) FROM installation_health WHERE installation_id = ? AND state <> 'OK'", inst.id()),
                "a 429 is not a health problem");
        assertTrue(refused.stream().allMatch(r -> r.getLoggedDate().getTime() - refusedAt < 100),
                "only calls already on their way when the 429 came back were refused: " + refused.size());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. A 403 (account blocked): health ACCOUNT_BLOCKED, no further calls, later events held, not lost.

    @Test
    void a403BlocksTheAccountHoldsLaterCommandsAndStopsCalling() {
        String token = "amo-access-403-0003";
        Installation inst = install(30_000_003L, token);
        long conversation = IDS.incrementAndGet();
        link(inst, conversation, "31926522");
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).atPriority(1)
                .withHeader("Authorization", equalTo("Bearer " + token))
                .willReturn(aResponse().withStatus(403).withHeader("Content-Type", "text/html")
                        .withBody(fixture("error-403-blocked.html"))));

        long first = IDS.incrementAndGet();
        assertEquals(200, Http.postJson(hook(inst), outgoing(first, conversation, "msg-" + first)).statusCode());
        await().atMost(Duration.ofSeconds(15)).until(() -> sql.count(
                "SELECT COUNT(*) FROM installation_health WHERE installation_id = ? AND component = ? AND state = ?",
                inst.id(), AmoCrmApiException.COMPONENT_ACCOUNT, AmoCrmApiException.ACCOUNT_BLOCKED) == 1);
        int callsAtBlock = allRequests(token).size();
        assertEquals(1, notesRequests(token).size(), "one notes call, refused");
        Map<String, Object> dead = sql.queryOne(
                "SELECT state, last_error FROM outbox_command WHERE installation_id = ?", inst.id());
        assertEquals("DEAD", dead.get("state"), "a blocked account is not retried: " + dead);
        assertTrue(String.valueOf(dead.get("last_error")).startsWith("ACCOUNT_BLOCKED"), String.valueOf(dead));

        List<Long> later = newIds(5);
        postAll(inst, later.stream().map(id -> outgoing(id, conversation, "msg-" + id)).toList());
        await().atMost(Duration.ofSeconds(15)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state = 'PENDING' AND last_error LIKE 'held:%'",
                inst.id()) == 5);
        // Absence cannot be awaited: keep checking for a while that the account gets no call at all.
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                .until(() -> allRequests(token).size() == callsAtBlock);
        assertEquals(5, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state = 'PENDING' "
                + "AND kind = 'CRM_MESSAGE_STATUS' AND attempts = 0", inst.id()), "held, not lost, no attempt spent");
        assertEquals(6, sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'",
                inst.id()));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. New client: an unknown phone creates one contact and one lead, even with two messages racing in;
    //    a known phone whose contact has an open lead links to that lead and creates nothing.

    @Test
    void anUnknownPhoneCreatesOneContactAndLeadAndAKnownPhoneWithAnOpenLeadCreatesNothing() {
        String token = "amo-access-new-0004";
        Installation inst = install(30_000_004L, token);
        settings(inst, "{\"autoCreateClients\":true,\"newClientStages\":{\"whatsapp\":{\"pipelineId\":5521340,\"statusId\":47815105}}}");
        String unknownPhone = "5511999000111";
        String knownPhone = "5511955554444";
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/contacts")).withQueryParam("query", equalTo(unknownPhone))
                .withHeader("Authorization", equalTo("Bearer " + token))
                .willReturn(aResponse().withStatus(204)));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/contacts")).withQueryParam("query", equalTo(knownPhone))
                .withHeader("Authorization", equalTo("Bearer " + token))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/hal+json")
                        .withBody(fixture("contacts-search.json"))));
        AMO.stubFor(post(urlPathEqualTo("/api/v4/contacts")).withHeader("Authorization", equalTo("Bearer " + token))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/hal+json")
                        .withBody(fixture("contact-created.json"))));
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads")).withHeader("Authorization", equalTo("Bearer " + token))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/hal+json")
                        .withBody(fixture("lead-created.json"))));

        // Two messages of a new conversation race in.
        long newConversation = IDS.incrementAndGet();
        long m1 = IDS.incrementAndGet();
        long m2 = IDS.incrementAndGet();
        postAll(inst, List.of(incoming(m1, newConversation, "Oi, quero saber o preço", unknownPhone),
                incoming(m2, newConversation, "Alguém aí?", unknownPhone)));
        await().atMost(Duration.ofSeconds(15)).until(() -> sql.count(
                "SELECT COUNT(*) FROM conversation_link WHERE installation_id = ? AND pact_conversation_id = ?",
                inst.id(), newConversation) >= 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", inst.id()) == 2);
        Map<String, Object> link = sql.queryOne("SELECT crm_entity_type, crm_entity_id FROM conversation_link "
                + "WHERE installation_id = ? AND pact_conversation_id = ?", inst.id(), newConversation);
        assertEquals("lead", link.get("crm_entity_type"));
        assertEquals("3000000202", link.get("crm_entity_id"));
        assertEquals(1, sql.count("SELECT COUNT(*) FROM conversation_link WHERE installation_id = ? AND pact_conversation_id = ?",
                inst.id(), newConversation));

        List<LoggedRequest> searches = AMO.findAll(getRequestedFor(urlPathEqualTo("/api/v4/contacts"))
                .withHeader("Authorization", equalTo("Bearer " + token)));
        assertEquals(1, searches.size(), "one find-or-create for the conversation");
        assertEquals(unknownPhone, searches.get(0).queryParameter("query").firstValue());
        List<LoggedRequest> contacts = AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/contacts"))
                .withHeader("Authorization", equalTo("Bearer " + token)));
        assertEquals(1, contacts.size(), "ONE contact for two racing messages");
        JsonNode contact = json(contacts.get(0).getBodyAsString()).get(0);
        JsonNode phoneField = contact.path("custom_fields_values").get(0);
        assertEquals("PHONE", phoneField.path("field_code").asText(), contact.toString());
        assertEquals(unknownPhone, phoneField.path("values").get(0).path("value").asText().replaceAll("\\D", ""));
        List<LoggedRequest> leads = AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/leads"))
                .withHeader("Authorization", equalTo("Bearer " + token)));
        assertEquals(1, leads.size(), "ONE lead");
        assertEquals(3000000103L, json(leads.get(0).getBodyAsString()).get(0)
                .path("_embedded").path("contacts").get(0).path("id").asLong(), "the lead carries the new contact");
        assertEquals(5521340L, json(leads.get(0).getBodyAsString()).get(0).path("pipeline_id").asLong(), "the mapped pipeline");
        assertEquals(47815105L, json(leads.get(0).getBodyAsString()).get(0).path("status_id").asLong(), "the mapped stage");

        // A phone amoCRM knows, whose contact has an open lead: linked to that lead, nothing created.
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/contacts/3000000101"))
                .withHeader("Authorization", equalTo("Bearer " + token))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/hal+json")
                        .withBody(fixture("contact.json"))));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/leads")).withQueryParam("filter[id][]", equalTo("3000000201"))
                .withHeader("Authorization", equalTo("Bearer " + token))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/hal+json")
                        .withBody(fixture("leads-search.json"))));
        long knownConversation = IDS.incrementAndGet();
        long m3 = IDS.incrementAndGet();
        assertEquals(200, Http.postJson(hook(inst), incoming(m3, knownConversation, "Bom dia", knownPhone)).statusCode());
        await().atMost(Duration.ofSeconds(15)).until(() -> sql.count(
                "SELECT COUNT(*) FROM conversation_link WHERE installation_id = ? AND pact_conversation_id = ?",
                inst.id(), knownConversation) == 1);
        Map<String, Object> known = sql.queryOne("SELECT crm_entity_type, crm_entity_id FROM conversation_link "
                + "WHERE installation_id = ? AND pact_conversation_id = ?", inst.id(), knownConversation);
        assertEquals("lead", known.get("crm_entity_type"));
        assertEquals("3000000201", known.get("crm_entity_id"), "the contact's open lead (stage 38198263)");
        assertEquals(1, AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/contacts"))
                .withHeader("Authorization", equalTo("Bearer " + token))).size(), "no contact created for a known phone");
        assertEquals(1, AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/leads"))
                .withHeader("Authorization", equalTo("Bearer " + token))).size(), "no lead created for a known phone");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 5. History toggle.

    @Test
    void historyOnWritesTheClientsTextAsANoteHistoryOffDoesNot() {
        String onToken = "amo-access-hist-on-0005";
        Installation on = install(30_000_005L, onToken);
        settings(on, "{\"history\":true}");
        String offToken = "amo-access-hist-off-0006";
        Installation off = install(30_000_006L, offToken);

        long convOn = IDS.incrementAndGet();
        long convOff = IDS.incrementAndGet();
        link(on, convOn, "31926530");
        link(off, convOff, "31926531");
        String textOn = "Quero 3 caixas do produto azul " + convOn;
        String textOff = "Quero 2 caixas do produto verde " + convOff;
        assertEquals(200, Http.postJson(hook(on), incoming(IDS.incrementAndGet(), convOn, textOn, "5511987654321")).statusCode());
        assertEquals(200, Http.postJson(hook(off), incoming(IDS.incrementAndGet(), convOff, textOff, "5511987654321")).statusCode());

        await().atMost(Duration.ofSeconds(15)).until(() -> notesRequests(onToken).stream()
                .anyMatch(r -> r.getBodyAsString().contains(textOn)));
        JsonNode note = notesRequests(onToken).stream().flatMap(r -> notes(r).stream())
                .filter(n -> n.path("params").path("text").asText().contains(textOn)).findFirst().orElseThrow();
        assertEquals(31926530L, note.path("entity_id").asLong());
        assertEquals("service_message", note.path("note_type").asText());
        assertTrue(note.path("params").path("text").asText().startsWith("Cliente"), note.toString());

        await().atMost(Duration.ofSeconds(15)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", off.id()) == 1);
        assertEquals(0, sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", off.id()),
                "history off: nothing queued for an incoming message");
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> notesRequests(offToken).isEmpty());
        assertFalse(AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/leads/notes"))).stream()
                .anyMatch(r -> r.getBodyAsString().contains(textOff)), "the client's text never reaches amoCRM");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 6. Full batches whatever the kind; history whatever the order.

    /**
     * Issue 10: statuses, history and conversation states alternate in the queue; they all go to one endpoint
     * ({@code POST /leads/notes}), so they share full calls instead of one call per change of kind.
     */
    @Test
    void statusHistoryAndStateNotesQueuedTogetherShareFullCalls() {
        String token = "amo-access-mixed-0007";
        Installation inst = install(30_000_007L, token);
        long conversation = IDS.incrementAndGet();
        tx.executeWrite(status -> {
            for (long id : newIds(50)) {
                outbox.enqueue(inst.id(), CommandKind.CRM_MESSAGE_STATUS, "status:" + id, "status:" + id,
                        new MessageStatusPayload(id, conversation, "lead", "31926540", "SENT", "🕓", null, "msg-" + id, Instant.now()),
                        null, null);
                outbox.enqueue(inst.id(), CommandKind.CRM_MESSAGE_HISTORY, "history:" + id, null,
                        new MessageHistoryPayload(id, conversation, "lead", "31926540", false, "Ana", "msg-" + id, Instant.now()),
                        null, null);
                if (id % 10 == 0) {
                    outbox.enqueue(inst.id(), CommandKind.CRM_CONVERSATION_STATE, "state:" + id, null,
                            new ConversationStatePayload(conversation, "lead", "31926540", "open", "unreplied"), null, null);
                }
            }
            return null;
        });
        int queued = (int) sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ?", inst.id());

        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state = 'DONE'", inst.id()) == queued);
        List<Integer> perCall = notesRequests(token).stream().map(r -> notes(r).size()).toList();
        assertEquals(queued, perCall.stream().mapToInt(Integer::intValue).sum());
        assertEquals((queued + 49) / 50, perCall.size(), "full calls of 50 whatever the kinds: " + perCall);
    }

    /** Pact's retries overtake: the "delivered" update comes before the message's create. History is written once all the same. */
    @Test
    void historyIsWrittenOnceWhenTheUpdateArrivesBeforeTheCreate() {
        String token = "amo-access-order-0008";
        Installation inst = install(30_000_008L, token);
        settings(inst, "{\"history\":true}");
        long conversation = IDS.incrementAndGet();
        link(inst, conversation, "31926541");
        long message = IDS.incrementAndGet();
        String text = "Pedido confirmado " + message;
        ObjectNode update = (ObjectNode) json(PactWebhooks.message("message-update-delivered", message, conversation));
        ((ObjectNode) update.get("object")).put("message", text);
        assertEquals(200, Http.postJson(hook(inst), update.toString()).statusCode());
        await().atMost(Duration.ofSeconds(15)).until(() -> sql.count(
                "SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", inst.id()) == 1);
        assertEquals(200, Http.postJson(hook(inst), outgoing(message, conversation, text)).statusCode());
        assertEquals(200, Http.postJson(hook(inst), outgoing(message, conversation, text).replace("}}", "} }")).statusCode(),
                "Pact's retry of the create, a second journal entry");

        await().atMost(Duration.ofSeconds(15)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND kind = 'CRM_MESSAGE_HISTORY' AND state = 'DONE'",
                inst.id()) == 1);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).until(() -> sql.count(
                "SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state <> 'DONE' AND state <> 'SUPERSEDED'",
                inst.id()) == 0);
        long historyNotes = notesRequests(token).stream().flatMap(r -> notes(r).stream())
                .map(n -> n.path("params").path("text").asText())
                .filter(t -> t.startsWith("Operador") && t.contains(text))
                .count();
        assertEquals(1, historyNotes, "one history note for the message");
    }

    // ---------------------------------------------------------------------------------------------------------------

    private Installation install(long accountId, String token) {
        AMO.stubFor(post(urlPathEqualTo("/oauth2/access_token")).willReturn(okJson(
                "{\"token_type\":\"Bearer\",\"expires_in\":86400,\"access_token\":\"" + token + "\","
                        + "\"refresh_token\":\"amo-refresh-" + accountId + "\"}")));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(okJson(
                "{\"id\":" + accountId + ",\"name\":\"Acme Trading\",\"subdomain\":\"acme\",\"current_user_id\":8214877,"
                        + "\"country\":\"BR\",\"currency\":\"BRL\",\"amojo_id\":\"e4a2c6f0-1b3d-4f5a-8c7e-9d0b1a2c3e4f\","
                        + "\"_links\":{\"self\":{\"href\":\"https://acme.amocrm.ru/api/v4/account\"}}}")));
        int status = Http.get(server.getURL() + "/amocrm/oauth/callback?code=def50200" + accountId + "&referer=127.0.0.1:"
                + AMO.port() + "&from_widget=1&client_id=" + CLIENT_ID).statusCode();
        assertEquals(200, status, "install");
        return installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, Long.toString(accountId)).orElseThrow();
    }

    private void settings(Installation inst, String json) {
        assertEquals(1, sql.update("UPDATE installation SET settings = ? WHERE id = ?", json, inst.id()));
    }

    private void link(Installation inst, long conversation, String leadId) {
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, ?, 'lead', ?)", inst.id(), conversation, leadId);
    }

    private String hook(Installation inst) {
        return server.getURL() + "/pact/webhooks/" + inst.pactHookKey();
    }

    private static List<Long> newIds(int n) {
        List<Long> ids = new ArrayList<>(n);
        IntStream.range(0, n).forEach(i -> ids.add(IDS.incrementAndGet()));
        return ids;
    }

    /** Posts Pact webhooks concurrently; each must be accepted. */
    private void postAll(Installation inst, List<String> bodies) {
        String url = hook(inst);
        List<CompletableFuture<Integer>> futures = bodies.stream()
                .map(b -> CompletableFuture.supplyAsync(() -> Http.postJson(url, b).statusCode(), pool)).toList();
        futures.forEach(f -> assertEquals(200, f.join()));
    }

    private static String outgoing(long messageId, long conversationId, String text) {
        ObjectNode root = (ObjectNode) json(PactWebhooks.message("message-create-outgoing", messageId, conversationId));
        ((ObjectNode) root.get("object")).put("message", text);
        return root.toString();
    }

    private static String incoming(long messageId, long conversationId, String text, String phone) {
        return PactWebhooks.incoming(messageId, conversationId, text, phone, false);
    }

    private static List<LoggedRequest> sorted(List<LoggedRequest> requests) {
        return requests.stream().sorted(Comparator.comparing(LoggedRequest::getLoggedDate)).toList();
    }

    private static List<LoggedRequest> notesRequests(String token) {
        return sorted(AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/leads/notes"))
                .withHeader("Authorization", equalTo("Bearer " + token))));
    }

    private static List<LoggedRequest> allRequests(String token) {
        RequestPatternBuilder any = anyRequestedFor(anyUrl()).withHeader("Authorization", equalTo("Bearer " + token));
        return AMO.findAll(any);
    }

    /** Notes per message id across the account's note requests that amoCRM accepted (2xx). */
    private static Map<Long, Integer> noteCounts(String token) {
        Map<Long, Integer> counts = new HashMap<>();
        AMO.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getUrl().startsWith("/api/v4/leads/notes"))
                .filter(e -> ("Bearer " + token).equals(e.getRequest().getHeader("Authorization")))
                .filter(e -> e.getResponse().getStatus() / 100 == 2)
                .forEach(e -> countNotes(e.getRequest(), counts));
        return counts;
    }

    private static void countNotes(LoggedRequest r, Map<Long, Integer> counts) {
        for (JsonNode n : notes(r)) {
            Matcher m = MSG.matcher(n.path("params").path("text").asText());
            if (m.find()) {
                counts.merge(Long.parseLong(m.group(1)), 1, Integer::sum);
            }
        }
    }

    private static List<JsonNode> notes(LoggedRequest r) {
        List<JsonNode> list = new ArrayList<>();
        json(r.getBodyAsString()).forEach(list::add);
        return list;
    }

    /** The most requests whose logged times fall within any 1,000 ms window. */
    static int maxInAnySecond(List<LoggedRequest> requests) {
        long[] t = requests.stream().mapToLong(r -> r.getLoggedDate().getTime()).sorted().toArray();
        int max = 0;
        for (int i = 0, j = 0; i < t.length; i++) {
            while (t[i] - t[j] >= 1000) {
                j++;
            }
            max = Math.max(max, i - j + 1);
        }
        return max;
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String fixture(String name) {
        try (InputStream in = AmoCrmAcceptanceIT.class.getResourceAsStream("/fixtures/amocrm/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
