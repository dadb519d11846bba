package com.pactcrm.connector.bitrix24;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.bitrix24.gateway.Bitrix24Gateway;
import com.pactcrm.connector.bitrix24.gateway.Bitrix24TimelineComments;
import com.pactcrm.connector.bitrix24.gateway.Bitrix24TimelineEntryRepository;
import com.pactcrm.connector.crm.CrmPayloads.MessageHistoryPayload;
import com.pactcrm.connector.crm.CrmPayloads.MessageStatusPayload;
import com.pactcrm.connector.crm.TimelineEntry;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.sync.outbox.DeliveryResult;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Timeline comments whose {@code batch} the portal may have applied although its answer was lost (a 5xx or a timeout
 * after sending: the relay marks the command ambiguous) are looked up with {@code crm.timeline.comment.list} before
 * they are written again, so every message keeps one comment.
 *
 * <p>End to end, a {@link LossyFront} stands between the connector and the fake portal, as a portal's front end that
 * gives up on slow answers would: it forwards a batch and answers 504 (the portal applied it, the answer is lost), or
 * answers an error without forwarding. Retries come when the test says ({@link #retryNow()}, the ladder's steps are an
 * hour), so what is pending at each step is known rather than raced. The gateway-level tests hand
 * {@link Bitrix24Gateway#writeTimeline} entries marked ambiguous against comments already on the fake portal.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Bitrix24AmbiguousWriteIT extends Bitrix24TestBase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String STATUS_ENTRIES = "kind = 'CRM_MESSAGE_STATUS'";

    @Inject
    Bitrix24Gateway gateway;
    @Inject
    Bitrix24TimelineEntryRepository ownEntries;

    final LossyFront front = new LossyFront(b24.host());
    Installation installation;

    @Override
    Map<String, String> extraProperties() {
        return Map.of(
                // Retries wait until retryNow(): an hour is longer than any test.
                "connector.outbox.retry-ladder", "1h,1h,1h,1h",
                // A few deliberate 5xx must not open the portal's circuit breaker and turn retries into waits.
                "connector.circuit-breaker.minimum-calls", "1000",
                "connector.bitrix24.query-limit-backoff", "200ms");
    }

    @BeforeEach
    void installedPortal() {
        b24.reset();
        pact.reset();
        front.reset();
        sql.update("DELETE FROM installation WHERE crm = 'BITRIX24'");
        installation = installWithPact();
    }

    @AfterAll
    void stopFront() {
        front.stop();
    }

    // ------------------------------------------------------------------ end to end, through the relay

    @Test
    void batchesWhoseAnswerWasLostAreLookedUpAndEveryMessageKeepsOneComment() {
        behindTheFront();
        link(2073572401L, "8401");
        link(2073572402L, "8402");
        front.loseAnswersOfAddBatches(2);

        // Every message has the fixture's text: comments of earlier, answered messages look exactly like the lost ones.
        postStatuses(3_400_000_000L, 6);
        await().atMost(Duration.ofSeconds(20)).until(() -> front.lost() >= 1 && settled(6));
        postStatuses(3_400_000_006L, 6);
        await().atMost(Duration.ofSeconds(20)).until(() -> front.lost() == 2 && settled(12));
        long waiting = sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND " + STATUS_ENTRIES
                + " AND state = 'PENDING' AND ambiguous", installation.id());
        assertTrue(waiting >= 2, waiting + " ambiguous entries wait for their retry");
        assertEquals(12, b24.comments().size(), "the portal applied the lost batches");

        int before = b24.calls().size();
        retryNow();
        await().atMost(Duration.ofSeconds(20)).until(() -> written(3_400_000_000L, 12) == 12);

        assertEquals(6, b24.comments("deal", "8401").size(), "one comment per message: " + b24.comments("deal", "8401"));
        assertEquals(6, b24.comments("deal", "8402").size(), "one comment per message: " + b24.comments("deal", "8402"));
        assertEquals(commentIds(), crmEntries(3_400_000_000L, 12), "each message holds its own comment");
        assertEquals(12, sentCommands("crm.timeline.comment.add").size(), "no comment was sent twice");
        List<Bitrix24Fake.Call> lookups = lookupCalls(b24.calls().subList(before, b24.calls().size()));
        assertEquals(1, lookups.size(), "one batch looked up every waiting entry: " + lookups);
        assertTrue(lookups.get(0).commands() <= 2, "one lookup per card, not per entry: " + lookups.get(0).cmds());
        assertTrue(lookups.get(0).cmds().stream().allMatch(c -> c.contains("order%5BID%5D=DESC")), lookups.get(0).cmds().toString());
        // The relay writes the sync log when it marks the call's commands done, just after the entries are remembered.
        await().atMost(Duration.ofSeconds(10)).until(() -> sql.count("SELECT COUNT(*) FROM sync_log WHERE installation_id = ? "
                + "AND detail LIKE 'comment found after an unanswered write%'", installation.id()) == waiting);
    }

    @Test
    void aStatusThatAdvancedWhileItsLostWriteWaitedEditsTheFoundCommentOfItsMessage() {
        behindTheFront();
        link(2073572403L, "8403");
        front.loseAnswersOfAddBatches(1);
        String hook = server.getURL() + "/pact/webhooks/" + installation.pactHookKey();

        Http.postJson(hook, PactWebhooks.message("message-create-outgoing", 3_400_000_100L, 2073572403L));
        await().atMost(Duration.ofSeconds(20)).until(() -> front.lost() == 1 && settled(1));
        // Pact's "delivered" replaces the payload of the command waiting for its retry: the retry carries a text the
        // portal has never seen, while the portal holds the clock comment.
        Http.postJson(hook, PactWebhooks.message("message-update-delivered", 3_400_000_100L, 2073572403L));
        await().atMost(Duration.ofSeconds(20)).until(() -> sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? "
                + "AND " + STATUS_ENTRIES + " AND state = 'PENDING' AND ambiguous AND payload LIKE '%\"DELIVERED\"%'",
                installation.id()) == 1);
        Bitrix24Fake.Comment clock = b24.comments("deal", "8403").get(0);
        assertTrue(clock.text().contains("na fila"), clock.text());

        retryNow();
        await().atMost(Duration.ofSeconds(20)).until(() -> written(3_400_000_100L, 1) == 1);

        List<Bitrix24Fake.Comment> comments = b24.comments("deal", "8403");
        assertEquals(1, comments.size(), "the clock comment became the delivered one: " + comments);
        assertEquals(clock.id(), comments.get(0).id());
        assertTrue(comments.get(0).text().endsWith("— ✓ entregue"), comments.get(0).text());
        assertEquals(1, comments.get(0).updates());
        assertEquals(Set.of(Long.toString(clock.id())), crmEntries(3_400_000_100L, 1));
        assertEquals(1, sentCommands("crm.timeline.comment.add").size());
    }

    @Test
    void aFailedLookupLeavesItsEntriesWaitingAndTheirNextRetryStillWritesNothingTwice() {
        behindTheFront();
        link(2073572404L, "8404");
        front.loseAnswersOfAddBatches(1);
        front.failLookups(1);

        postStatuses(3_400_000_200L, 3, 2073572404L);
        await().atMost(Duration.ofSeconds(20)).until(() -> front.lost() == 1 && settled(3));
        assertEquals(3, b24.comments("deal", "8404").size());

        retryNow();
        await().atMost(Duration.ofSeconds(20)).until(() -> front.failedLookups() == 1 && settled(3));
        assertTrue(sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND " + STATUS_ENTRIES
                + " AND state = 'PENDING' AND ambiguous AND attempts = 2", installation.id()) >= 1,
                "the entries whose lookup failed wait for another try");
        assertEquals(3, b24.comments("deal", "8404").size(), "nothing was added without a lookup");

        retryNow();
        await().atMost(Duration.ofSeconds(20)).until(() -> written(3_400_000_200L, 3) == 3);
        assertEquals(3, b24.comments("deal", "8404").size(), "one comment per message: " + b24.comments("deal", "8404"));
        assertEquals(commentIds(), crmEntries(3_400_000_200L, 3));
        assertEquals(3, sentCommands("crm.timeline.comment.add").size());
        assertEquals(1, front.failedLookups());
        assertEquals(1, lookupCalls(b24.calls()).size(), "the failed lookup never reached the portal; the next one did");
    }

    @Test
    void anAmbiguousWriteThatNeverReachedThePortalIsWrittenOnceAfterItsLookup() {
        behindTheFront();
        link(2073572405L, "8405");
        front.refuseAddBatches(1);

        postStatuses(3_400_000_300L, 2, 2073572405L);
        await().atMost(Duration.ofSeconds(20)).until(() -> front.refused() == 1 && settled(2));
        int added = b24.comments("deal", "8405").size();

        retryNow();
        await().atMost(Duration.ofSeconds(20)).until(() -> written(3_400_000_300L, 2) == 2);

        assertEquals(2, b24.comments("deal", "8405").size(), "nothing found, so written again, once: " + b24.comments());
        assertTrue(added < 2, "the refused batch wrote nothing");
        assertEquals(commentIds(), crmEntries(3_400_000_300L, 2));
        assertEquals(1, lookupCalls(b24.calls()).size());
    }

    // ------------------------------------------------------------------ the gateway, with comments already on the portal

    @Test
    void foundCommentsAreDeliveredWithTheirIdsAndOnlyTheRestIsAdded() {
        TimelineEntry queued = status("8411", 501, "SENT", "Bom dia, seu pedido saiu", true);
        TimelineEntry history = history("8411", 502, "Preciso do boleto", true);
        TimelineEntry read = status("8412", 503, "READ", "Pode confirmar o endereço?", true);
        TimelineEntry notWritten = status("8412", 504, "SENT", "Segue o link", true);
        TimelineEntry fresh = status("8411", 505, "SENT", "Obrigado!", false);
        long person = b24.personComment("deal", "8411", "7", "Cliente pediu retorno amanhã");
        long queuedId = portalHas(queued);
        long historyId = portalHas(history);
        long readId = portalHas(read);
        int before = b24.calls().size();

        List<DeliveryResult> results = gateway.writeTimeline(installation, List.of(queued, history, read, notWritten, fresh));

        assertEquals(Long.toString(queuedId), delivered(results.get(0)).remoteId());
        assertEquals(Long.toString(historyId), delivered(results.get(1)).remoteId());
        assertEquals(Long.toString(readId), delivered(results.get(2)).remoteId());
        Set<String> added = Set.of(delivered(results.get(3)).remoteId(), delivered(results.get(4)).remoteId());
        assertEquals(2, added.size());
        assertFalse(added.contains(Long.toString(person)));
        assertEquals(4, b24.comments("deal", "8411").size(), "the person's, the two found and the fresh one");
        assertEquals(2, b24.comments("deal", "8412").size());
        assertTrue(b24.comments().stream().allMatch(c -> c.updates() == 0), "found exact texts are left as they are");
        List<Bitrix24Fake.Call> calls = b24.calls().subList(before, b24.calls().size());
        assertEquals(2, calls.size(), "one batch of lookups, one of writes: " + calls);
        assertEquals(2, calls.get(0).commands(), "one lookup per card: " + calls.get(0).cmds());
        assertTrue(calls.get(0).cmds().stream().allMatch(c -> c.startsWith("crm.timeline.comment.list?")), calls.get(0).cmds().toString());
        assertEquals(2, calls.get(1).commands(), "only what was not found is added: " + calls.get(1).cmds());
        for (long id : List.of(queuedId, historyId, readId)) {
            assertEquals(1, ownEntries.countOwn(installation.id(), Long.toString(id)), "found comment " + id + " is known as ours");
        }
    }

    @Test
    void aCommentTheConnectorAlreadyKnowsIsNeverTakenForAnotherMessage() {
        // An earlier message with the same text and status: its comment was answered and remembered.
        TimelineEntry earlier = status("8413", 511, "DELIVERED", "Ok", false);
        String earlierId = delivered(gateway.writeTimeline(installation, List.of(earlier)).get(0)).remoteId();
        TimelineEntry lost = status("8413", 512, "DELIVERED", "Ok", true);

        String id = delivered(gateway.writeTimeline(installation, List.of(lost)).get(0)).remoteId();

        assertNotEquals(earlierId, id, "the other message's comment is not this one's");
        assertEquals(2, b24.comments("deal", "8413").size());
        assertEquals(1, sentCommands("crm.timeline.comment.list").size(), "it was looked up, and not found");
    }

    @Test
    void anEarlierStatusOfTheSameMessageIsEditedButNotAnotherMessagesComment() {
        TimelineEntry other = status("8414", 521, "READ", "Ok", false);
        String otherId = delivered(gateway.writeTimeline(installation, List.of(other)).get(0)).remoteId();
        long clockId = portalHas(status("8414", 522, "SENT", "Ok", false));
        TimelineEntry delivered = status("8414", 522, "DELIVERED", "Ok", true);

        DeliveryResult result = gateway.writeTimeline(installation, List.of(delivered)).get(0);

        assertEquals(Long.toString(clockId), delivered(result).remoteId());
        Map<Long, Bitrix24Fake.Comment> byId = b24.comments("deal", "8414").stream()
                .collect(Collectors.toMap(Bitrix24Fake.Comment::id, c -> c));
        assertEquals(2, byId.size());
        assertEquals(Bitrix24TimelineComments.textOf(delivered), byId.get(clockId).text());
        assertEquals(0, byId.get(Long.parseLong(otherId)).updates(), "the other message's comment is untouched");
        assertEquals(1, ownEntries.countOwn(installation.id(), Long.toString(clockId)));
    }

    @Test
    void unresolvedEntriesWithTheSameTextTakeOneCommentEach() {
        TimelineEntry first = history("8415", 531, "Ok", true);
        TimelineEntry second = history("8415", 532, "Ok", true);
        long onPortal = portalHas(first);

        List<DeliveryResult> results = gateway.writeTimeline(installation, List.of(first, second));

        Set<String> ids = Set.of(delivered(results.get(0)).remoteId(), delivered(results.get(1)).remoteId());
        assertEquals(2, ids.size(), "two entries, two comments");
        assertTrue(ids.contains(Long.toString(onPortal)));
        assertEquals(2, b24.comments("deal", "8415").size());
    }

    @Test
    void entriesThatAreNotAmbiguousAndAmbiguousEditsAreSentWithoutALookup() {
        TimelineEntry plain = history("8416", 541, "Bom dia", false);
        portalHas(plain);
        long edited = portalHas(status("8416", 542, "SENT", "Tudo certo?", false));
        TimelineEntry ambiguousEdit = new TimelineEntry("deal", "8416", Long.toString(edited),
                status("8416", 542, "READ", "Tudo certo?", true).status(), null, null, true);
        int before = b24.calls().size();

        List<DeliveryResult> results = gateway.writeTimeline(installation, List.of(plain, ambiguousEdit));

        assertEquals("comment added", delivered(results.get(0)).detail());
        assertEquals(Long.toString(edited), delivered(results.get(1)).remoteId());
        List<Bitrix24Fake.Call> calls = b24.calls().subList(before, b24.calls().size());
        assertEquals(1, calls.size(), "one batch, as before: " + calls);
        assertTrue(calls.get(0).cmds().get(0).startsWith("crm.timeline.comment.add?"));
        assertTrue(calls.get(0).cmds().get(1).startsWith("crm.timeline.comment.update?"), "an edit is sent again as it is");
        assertEquals(3, b24.comments("deal", "8416").size(), "a retry that is not ambiguous adds, as it always did");
    }

    @Test
    void aLookupTheCardRefusesFailsOnlyThatCardsEntries() {
        // The portal answers "Access denied." for a card the token's user may not read (here: no such card, id 0).
        TimelineEntry refused = status("0", 551, "SENT", "Olá", true);
        TimelineEntry found = status("8417", 552, "SENT", "Olá", true);
        long foundId = portalHas(found);

        List<DeliveryResult> results = gateway.writeTimeline(installation, List.of(refused, found));

        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, results.get(0));
        assertEquals(Disposition.RETRY, failed.error().disposition(), "a failed lookup is retried later");
        assertTrue(failed.error().getMessage().contains("Access denied."), failed.error().getMessage());
        assertEquals(Long.toString(foundId), delivered(results.get(1)).remoteId());
        assertTrue(b24.comments("deal", "0").isEmpty());
        assertTrue(sentCommands("crm.timeline.comment.add").isEmpty());
    }

    @Test
    void aLookupCallThatFailsAddsNothingForTheAmbiguousEntriesAndTheNextAttemptFindsThem() {
        TimelineEntry lost = status("8418", 561, "SENT", "Seu código é 4411", true);
        TimelineEntry fresh = status("8418", 562, "SENT", "Qualquer dúvida, estou aqui", false);
        long lostId = portalHas(lost);
        b24.plan(Bitrix24Fake.Fault.QUERY_LIMIT_EXCEEDED);

        List<DeliveryResult> results = gateway.writeTimeline(installation, List.of(lost, fresh));

        DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, results.get(0));
        assertEquals(Disposition.RATE_LIMITED, failed.error().disposition());
        assertEquals("comment added", delivered(results.get(1)).detail(), "entries that need no lookup still go out");
        assertEquals(2, b24.comments("deal", "8418").size());

        DeliveryResult retried = gateway.writeTimeline(installation, List.of(lost)).get(0);

        assertEquals(Long.toString(lostId), delivered(retried).remoteId());
        assertEquals(2, b24.comments("deal", "8418").size(), "nothing written twice");
    }

    // ------------------------------------------------------------------ the fake itself

    @Test
    void theFakeListsCommentsAsThePortalDoes() throws IOException {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 55; i++) {
            ids.add(b24.personComment("deal", "8420", i % 2 == 0 ? "1" : "7", "Comentário " + i));
        }
        b24.personComment("deal", "8421", "1", "em outro negócio");
        String url = "http://" + b24.host() + "/rest/";
        String auth = ",\"auth\":\"" + cipher.decrypt(installation().accessTokenEnc()) + "\"}";

        JsonNode first = JSON.readTree(Http.postJson(url + "crm.timeline.comment.list",
                "{\"filter\":{\"ENTITY_ID\":8420,\"ENTITY_TYPE\":\"deal\"},\"order\":{\"ID\":\"DESC\"}" + auth).body());
        assertEquals(50, first.path("result").size());
        assertEquals(55, first.path("total").asInt());
        assertEquals(50, first.path("next").asInt());
        JsonNode newest = first.path("result").get(0);
        assertEquals(Long.toString(ids.get(54)), newest.path("ID").asText());
        assertTrue(newest.path("ID").isTextual() && newest.path("ENTITY_ID").isNumber() && newest.path("AUTHOR_ID").isTextual());
        assertEquals(8420, newest.path("ENTITY_ID").asInt());
        assertEquals("deal", newest.path("ENTITY_TYPE").asText());
        assertEquals("Comentário 54", newest.path("COMMENT").asText());
        assertTrue(newest.path("CREATED").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+03:00"), newest.toString());
        assertTrue(first.has("time"));

        JsonNode last = JSON.readTree(Http.postJson(url + "crm.timeline.comment.list",
                "{\"filter\":{\"ENTITY_ID\":\"8420\",\"ENTITY_TYPE\":\"deal\"},\"select\":[\"ID\",\"COMMENT\"],\"start\":50" + auth).body());
        assertEquals(5, last.path("result").size());
        assertFalse(last.has("next"), "the last page has no next");
        assertEquals(Long.toString(ids.get(50)), last.path("result").get(0).path("ID").asText(), "ascending ids by default");
        assertEquals(Set.of("ID", "COMMENT"), fieldNames(last.path("result").get(0)));

        HttpResponse<String> noType = Http.postJson(url + "crm.timeline.comment.list", "{\"filter\":{\"ENTITY_ID\":8420}" + auth);
        assertEquals(400, noType.statusCode());
        assertEquals("", JSON.readTree(noType.body()).path("error").asText("missing"));
        assertEquals("Access denied.", JSON.readTree(noType.body()).path("error_description").asText());

        JsonNode batch = JSON.readTree(Http.postJson(url + "batch", "{\"halt\":0,\"cmd\":{"
                + "\"l0\":\"crm.timeline.comment.list?filter%5BENTITY_ID%5D=8421&filter%5BENTITY_TYPE%5D=deal&select%5B0%5D=ID&select%5B1%5D=COMMENT\","
                + "\"l1\":\"crm.timeline.comment.list?filter%5BENTITY_TYPE%5D=deal\"}" + auth).body()).path("result");
        assertEquals("em outro negócio", batch.path("result").path("l0").get(0).path("COMMENT").asText());
        assertEquals(1, batch.path("result").path("l0").size());
        assertEquals("Access denied.", batch.path("result_error").path("l1").path("error_description").asText());
    }

    // ------------------------------------------------------------------ helpers

    /** The connector calls the portal through the lossy front from now on (no refresh happens to reset the domain). */
    private void behindTheFront() {
        sql.update("UPDATE installation SET crm_host = ? WHERE id = ?", front.host(), installation.id());
    }

    private void link(long conversationId, String dealId) {
        sql.update("INSERT INTO conversation_link (installation_id, pact_conversation_id, crm_entity_type, crm_entity_id) "
                + "VALUES (?, ?, 'deal', ?)", installation.id(), conversationId, dealId);
    }

    /** {@code count} new outgoing messages, alternating between the conversations of deals 8401 and 8402. */
    private void postStatuses(long firstMessageId, int count) {
        for (int i = 0; i < count; i++) {
            post(firstMessageId + i, i % 2 == 0 ? 2073572401L : 2073572402L);
        }
    }

    private void postStatuses(long firstMessageId, int count, long conversationId) {
        for (int i = 0; i < count; i++) {
            post(firstMessageId + i, conversationId);
        }
    }

    private void post(long messageId, long conversationId) {
        assertEquals(200, Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(),
                PactWebhooks.message("message-create-outgoing", messageId, conversationId)).statusCode());
    }

    /** {@code count} status entries were each tried once: written, or waiting (ambiguous) for the retry we release. */
    private boolean settled(int count) {
        return sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND " + STATUS_ENTRIES
                + " AND (state = 'DONE' OR (state = 'PENDING' AND attempts > 0))", installation.id()) == count
                && sql.count("SELECT COUNT(*) FROM outbox_command WHERE installation_id = ? AND state = 'IN_FLIGHT'",
                installation.id()) == 0;
    }

    /** The waiting commands are due now instead of in an hour. */
    private void retryNow() {
        sql.update("UPDATE outbox_command SET next_attempt_at = ? WHERE installation_id = ? AND state = 'PENDING'",
                java.sql.Timestamp.from(Instant.parse("2020-01-01T00:00:00Z")), installation.id());
    }

    private long written(long firstMessageId, int count) {
        return sql.count("SELECT COUNT(*) FROM message_link WHERE installation_id = ? AND pact_message_id BETWEEN ? AND ? "
                + "AND crm_entry_id IS NOT NULL", installation.id(), firstMessageId, firstMessageId + count - 1);
    }

    private Set<String> crmEntries(long firstMessageId, int count) {
        List<String> entries = sql.query("SELECT crm_entry_id FROM message_link WHERE installation_id = ? "
                        + "AND pact_message_id BETWEEN ? AND ?", installation.id(), firstMessageId, firstMessageId + count - 1)
                .stream().map(r -> (String) r.get("crm_entry_id")).toList();
        assertEquals(count, new HashSet<>(entries).size(), "distinct comments: " + entries);
        return new HashSet<>(entries);
    }

    private Set<String> commentIds() {
        return b24.comments().stream().map(c -> Long.toString(c.id())).collect(Collectors.toSet());
    }

    /** Every command of this method the portal received, inside batches. */
    private List<String> sentCommands(String method) {
        return b24.calls("batch").stream().filter(c -> c.status() == 200).flatMap(c -> c.cmds().stream())
                .filter(c -> c.startsWith(method + "?")).toList();
    }

    private static List<Bitrix24Fake.Call> lookupCalls(List<Bitrix24Fake.Call> calls) {
        return calls.stream().filter(c -> c.method().equals("batch") && !c.cmds().isEmpty()
                && c.cmds().stream().allMatch(x -> x.startsWith("crm.timeline.comment.list?"))).toList();
    }

    /** The comment a lost write of {@code entry} left on the portal, written as the connector writes it. */
    private long portalHas(TimelineEntry entry) {
        return b24.personComment(entry.entityType(), entry.entityId(), Bitrix24Fake.INSTALLER_USER,
                Bitrix24TimelineComments.textOf(entry));
    }

    private static TimelineEntry status(String dealId, long messageId, String status, String text, boolean ambiguous) {
        return new TimelineEntry("deal", dealId, null, new MessageStatusPayload(messageId, 77L, "deal", dealId, status,
                null, null, text, Instant.parse("2026-11-20T10:30:00Z")), null, null, ambiguous);
    }

    private static TimelineEntry history(String dealId, long messageId, String text, boolean ambiguous) {
        return new TimelineEntry("deal", dealId, null, null, new MessageHistoryPayload(messageId, 77L, "deal", dealId, true,
                null, text, Instant.parse("2026-11-20T10:30:00Z")), null, ambiguous);
    }

    private static DeliveryResult.Delivered delivered(DeliveryResult result) {
        return assertInstanceOf(DeliveryResult.Delivered.class, result, () -> "not delivered: " + result);
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * A portal's front end between the connector and the fake: forwards every call, and on demand loses the answer of a
     * batch carrying comment adds after the portal applied it (504), refuses such a batch before it reaches the portal
     * (502), or fails a batch of lookups (500 INTERNAL_SERVER_ERROR).
     */
    static final class LossyFront {

        private final String target;
        private final HttpServer server;
        private final ExecutorService threads = Executors.newFixedThreadPool(4);
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        private final AtomicInteger toLose = new AtomicInteger();
        private final AtomicInteger toRefuse = new AtomicInteger();
        private final AtomicInteger lookupsToFail = new AtomicInteger();
        private final AtomicInteger lost = new AtomicInteger();
        private final AtomicInteger refused = new AtomicInteger();
        private final AtomicInteger failedLookups = new AtomicInteger();

        LossyFront(String target) {
            this.target = target;
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            server.createContext("/", this::handle);
            server.setExecutor(threads);
            server.start();
        }

        String host() {
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        void reset() {
            toLose.set(0);
            toRefuse.set(0);
            lookupsToFail.set(0);
            lost.set(0);
            refused.set(0);
            failedLookups.set(0);
        }

        void loseAnswersOfAddBatches(int count) {
            toLose.set(count);
        }

        void refuseAddBatches(int count) {
            toRefuse.set(count);
        }

        void failLookups(int count) {
            lookupsToFail.set(count);
        }

        int lost() {
            return lost.get();
        }

        int refused() {
            return refused.get();
        }

        int failedLookups() {
            return failedLookups.get();
        }

        void stop() {
            server.stop(0);
            threads.shutdownNow();
        }

        private void handle(HttpExchange exchange) throws IOException {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String text = new String(body, StandardCharsets.UTF_8);
            String path = exchange.getRequestURI().toString();
            boolean adds = path.endsWith("/rest/batch") && text.contains("crm.timeline.comment.add");
            boolean lookups = path.endsWith("/rest/batch") && text.contains("crm.timeline.comment.list");
            if (lookups && take(lookupsToFail)) {
                failedLookups.incrementAndGet();
                answer(exchange, 500, "{\"error\":\"INTERNAL_SERVER_ERROR\",\"error_description\":\"Internal server error\"}");
                return;
            }
            if (adds && take(toRefuse)) {
                refused.incrementAndGet();
                answer(exchange, 502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
                return;
            }
            HttpResponse<String> response;
            try {
                response = client.send(HttpRequest.newBuilder(URI.create("http://" + target + path))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            if (adds && response.statusCode() == 200 && take(toLose)) {
                lost.incrementAndGet();
                answer(exchange, 504, "<html><body><h1>504 Gateway Time-out</h1></body></html>");
                return;
            }
            answer(exchange, response.statusCode(), response.body());
        }

        private static boolean take(AtomicInteger budget) {
            return budget.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
        }

        private static void answer(HttpExchange exchange, int status, String body) throws IOException {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", body.startsWith("{") ? "application/json; charset=utf-8"
                    : "text/html");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        }
    }
}
