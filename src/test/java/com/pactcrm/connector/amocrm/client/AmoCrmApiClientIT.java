package com.pactcrm.connector.amocrm.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.noContent;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.patch;
import static com.github.tomakehurst.wiremock.client.WireMock.patchRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmAccountInfo;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmContact;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmLead;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNewNote;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNote;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNoteType;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNoteUpdate;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmPage;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmProblem;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmUser;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmWebhook;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.sync.resilience.OutboundCallMetrics;
import com.pactcrm.connector.sync.resilience.OutboundCircuitBreakers;
import com.pactcrm.connector.sync.resilience.OutboundFailures;
import com.pactcrm.connector.sync.resilience.OutboundRateLimiters;
import com.pactcrm.connector.testsupport.StartedWireMock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

@MicronautTest(transactional = false, startApplication = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AmoCrmApiClientIT implements TestPropertyProvider {

    @RegisterExtension
    private static final StartedWireMock AMO = new StartedWireMock(options().dynamicPort());
    /**
     * amoCRM limits per account and the client keys its limiter by host, so each test talks to the fake
     * through its own loopback address (127.0.0.N): no test inherits another's permits or 429 pause.
     */
    private static final AtomicInteger NEXT_LOOPBACK = new AtomicInteger(2);

    @Inject
    AmoCrmApiClient client;
    @Inject
    OutboundRateLimiters rateLimiters;
    @Inject
    OutboundCircuitBreakers circuitBreakers;
    @Inject
    MeterRegistry meters;
    @Inject
    ObjectMapper json;
    @Inject
    Clock clock;

    private AmoCrmAccount account;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "connector.amocrm.read-timeout", "1s",
                // Lets the limiter test queue 20 calls in-process instead of giving up on the later ones.
                "connector.amocrm.max-limiter-wait", "5s",
                // The error tests fail on purpose; the breaker must not open on them and skew later tests.
                "connector.circuit-breaker.window", "1000",
                "connector.circuit-breaker.minimum-calls", "1000");
    }

    @BeforeEach
    void newAccount() {
        AMO.resetAll();
        account = new AmoCrmAccount("http://127.0.0." + NEXT_LOOPBACK.getAndIncrement() + ":" + AMO.port(),
                "amo-access-token-" + UUID.randomUUID());
    }

    @Test
    void accountSendsTheBearerTokenAndReadsIdNameSubdomainAndAmojoId() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(hal("account.json")));

        AmoCrmAccountInfo info = client.account(account);

        AMO.verify(getRequestedFor(urlPathEqualTo("/api/v4/account"))
                .withHeader("Authorization", equalTo("Bearer " + account.accessToken()))
                .withQueryParam("with", equalTo("amojo_id")));
        assertEquals(29138932L, info.id());
        assertEquals("Acme Trading", info.name());
        assertEquals("acme", info.subdomain());
        assertEquals(8214877L, info.currentUserId());
        assertEquals("f3c6340f-2ce9-4cbb-b4f1-2bbfc3b5e2a1", info.amojoId());
    }

    @Test
    void usersArePagedThroughEmbeddedAndTheNextLink() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/users")).withQueryParam("page", equalTo("1"))
                .willReturn(hal("users-page-1.json")));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/users")).withQueryParam("page", equalTo("2"))
                .willReturn(hal("users-page-2.json")));

        AmoCrmPage<AmoCrmUser> first = client.users(account, 1);
        AmoCrmPage<AmoCrmUser> second = client.users(account, 2);

        AMO.verify(2, getRequestedFor(urlPathEqualTo("/api/v4/users")).withQueryParam("limit", equalTo("250")));
        assertEquals(List.of(8214877L, 3000000002L), first.items().stream().map(AmoCrmUser::id).toList());
        assertTrue(first.hasNext());
        assertTrue(first.items().get(0).rights().isAdmin());
        assertFalse(first.items().get(1).active());
        assertEquals(7L, first.items().get(1).rights().roleId());
        assertEquals(2, second.page());
        assertFalse(second.hasNext());
        assertEquals("Clara Support", second.items().get(0).name());
    }

    @Test
    void anEmptyUserListIsA204AndAnEmptyLastPage() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/users")).willReturn(noContent()));

        AmoCrmPage<AmoCrmUser> page = client.users(account, 3);

        assertTrue(page.items().isEmpty());
        assertFalse(page.hasNext());
        assertEquals(3, page.page());
    }

    @Test
    void contactIsReadWithItsPhonesAndLinkedLeads() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/contacts/3000000101")).willReturn(hal("contact.json")));

        AmoCrmContact contact = client.contact(account, 3000000101L).orElseThrow();

        AMO.verify(getRequestedFor(urlPathEqualTo("/api/v4/contacts/3000000101")).withQueryParam("with", equalTo("leads")));
        assertEquals(3000000101L, contact.id());
        assertEquals(List.of("+7 900 123-45-67", "89007654321"), contact.phones());
        assertEquals(List.of(3000000201L), contact.leadIds());
        assertEquals(8214877L, contact.responsibleUserId());
        assertEquals("WORK", contact.customFieldsValues().get(0).values().get(0).enumCode());
    }

    @Test
    void aContactAmoCrmAnswersWith204ForIsEmptyNotAnError() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/contacts/42")).willReturn(noContent()));

        assertEquals(Optional.empty(), client.contact(account, 42));
    }

    @Test
    void leadIsReadWithItsContactsAndTheMainOne() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/leads/3000000201")).willReturn(hal("lead.json")));

        AmoCrmLead lead = client.lead(account, 3000000201L).orElseThrow();

        AMO.verify(getRequestedFor(urlPathEqualTo("/api/v4/leads/3000000201")).withQueryParam("with", equalTo("contacts")));
        assertEquals(List.of(3000000102L, 3000000101L), lead.contactIds());
        assertEquals(Optional.of(3000000101L), lead.mainContactId());
        assertEquals(3177727L, lead.pipelineId());
        assertEquals(142L, lead.statusId());
    }

    @Test
    void contactsAreSearchedByPhoneThroughQuery() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/contacts")).willReturn(hal("contacts-search.json")));

        List<AmoCrmContact> found = client.searchContacts(account, "79001234567");

        AMO.verify(getRequestedFor(urlPathEqualTo("/api/v4/contacts"))
                .withQueryParam("query", equalTo("79001234567"))
                .withQueryParam("limit", equalTo("50")));
        assertEquals(List.of(3000000101L, 3000000102L), found.stream().map(AmoCrmContact::id).toList());
        assertEquals(List.of("+7 900 123-45-67"), found.get(0).phones());
        assertEquals(List.of(), found.get(1).phones());
    }

    @Test
    void aSearchWithoutMatchesIs204AndAnEmptyList() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/contacts")).willReturn(noContent()));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/leads")).willReturn(noContent()));

        assertEquals(List.of(), client.searchContacts(account, "70000000000"));
        assertEquals(List.of(), client.searchLeads(account, "nobody"));
    }

    @Test
    void leadsAreSearchedWithTheirContacts() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/leads")).willReturn(hal("leads-search.json")));

        List<AmoCrmLead> found = client.searchLeads(account, "Petrov");

        AMO.verify(getRequestedFor(urlPathEqualTo("/api/v4/leads"))
                .withQueryParam("query", equalTo("Petrov"))
                .withQueryParam("with", equalTo("contacts")));
        assertEquals(1, found.size());
        assertEquals(15000L, found.get(0).price());
        assertEquals(Optional.of(3000000101L), found.get(0).mainContactId());
    }

    @Test
    void createContactPutsThePhoneIntoThePhoneFieldByCodeWithEnumWork() {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/contacts")).willReturn(hal("contact-created.json")));

        long id = client.createContact(account, "Ivan Petrov", "+79001234567", 8214877L);

        AMO.verify(postRequestedFor(urlPathEqualTo("/api/v4/contacts"))
                .withHeader("Authorization", equalTo("Bearer " + account.accessToken()))
                .withHeader("Content-Type", equalTo("application/json"))
                .withRequestBody(equalToJson("""
                        [{"name":"Ivan Petrov","responsible_user_id":8214877,
                          "custom_fields_values":[{"field_code":"PHONE",
                            "values":[{"enum_code":"WORK","value":"+79001234567"}]}]}]""")));
        assertEquals(3000000103L, id);
    }

    @Test
    void createContactWithoutPhoneOrResponsibleSendsOnlyTheName() {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/contacts")).willReturn(hal("contact-created.json")));

        client.createContact(account, "Telegram user", null, null);

        AMO.verify(postRequestedFor(urlPathEqualTo("/api/v4/contacts"))
                .withRequestBody(equalToJson("[{\"name\":\"Telegram user\"}]")));
    }

    @Test
    void createLeadLinksTheContactThroughEmbeddedContacts() {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads")).willReturn(hal("lead-created.json")));

        long id = client.createLead(account, "WhatsApp: Ivan Petrov", 3177727L, 38198263L, 3000000103L, 8214877L);

        AMO.verify(postRequestedFor(urlPathEqualTo("/api/v4/leads")).withRequestBody(equalToJson("""
                [{"name":"WhatsApp: Ivan Petrov","pipeline_id":3177727,"status_id":38198263,
                  "responsible_user_id":8214877,"_embedded":{"contacts":[{"id":3000000103}]}}]""")));
        assertEquals(3000000202L, id);
    }

    @Test
    void addNotesSendsCommonAndServiceMessageNotesAsOneArrayAndReturnsTheirIds() {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).willReturn(hal("notes-added.json")));

        List<Long> ids = client.addNotes(account, AmoCrmApiClient.LEADS, List.of(
                AmoCrmNewNote.common(3000000201L, "Chat started from the card"),
                AmoCrmNewNote.serviceMessage(3000000201L, "Pact", "Message #17 delivered")));

        AMO.verify(postRequestedFor(urlPathEqualTo("/api/v4/leads/notes"))
                .withHeader("Authorization", equalTo("Bearer " + account.accessToken()))
                .withRequestBody(equalToJson("""
                        [{"entity_id":3000000201,"note_type":"common","request_id":"0",
                          "params":{"text":"Chat started from the card"}},
                         {"entity_id":3000000201,"note_type":"service_message","request_id":"1",
                          "params":{"service":"Pact","text":"Message #17 delivered"}}]""")));
        assertEquals(List.of(4000000301L, 4000000302L), ids);
    }

    @Test
    void noteIdsFollowTheRequestOrderEvenIfAmoCrmAnswersInAnotherOrder() {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/contacts/notes")).willReturn(okJson("""
                {"_embedded":{"notes":[
                  {"id":502,"entity_id":9,"request_id":"1"},
                  {"id":501,"entity_id":9,"request_id":"0"}]}}""")));

        List<Long> ids = client.addNotes(account, AmoCrmApiClient.CONTACTS,
                List.of(AmoCrmNewNote.common(9, "first"), AmoCrmNewNote.common(9, "second")));

        assertEquals(List.of(501L, 502L), ids);
    }

    @Test
    void aBatchOf120NotesGoesOutAs50Then50Then20() {
        stubNotesChunk(1, 50, 10_000);
        stubNotesChunk(51, 50, 20_000);
        stubNotesChunk(101, 20, 30_000);
        List<AmoCrmNewNote> notes = IntStream.rangeClosed(1, 120)
                .mapToObj(i -> AmoCrmNewNote.common(i, "note " + i)).toList();

        List<Long> ids = client.addNotes(account, AmoCrmApiClient.LEADS, notes);

        List<Integer> sizes = AMO.findAll(postRequestedFor(urlPathEqualTo("/api/v4/leads/notes"))).stream()
                .sorted(Comparator.comparing(LoggedRequest::getLoggedDate))
                .map(r -> readTree(r.getBodyAsString()).size()).toList();
        assertEquals(List.of(50, 50, 20), sizes);
        List<Long> expected = new ArrayList<>();
        IntStream.range(0, 50).forEach(i -> expected.add(10_000L + i));
        IntStream.range(0, 50).forEach(i -> expected.add(20_000L + i));
        IntStream.range(0, 20).forEach(i -> expected.add(30_000L + i));
        assertEquals(expected, ids);
    }

    @Test
    void aFailureAfterTheFirstRequestOfABatchReportsTheNotesAlreadyCreated() {
        stubNotesChunk(1, 50, 10_000);
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes"))
                .withRequestBody(matchingJsonPath("$[0].entity_id", equalTo("51")))
                .willReturn(aResponse().withStatus(500).withHeader("Retry-After", "5")));
        List<AmoCrmNewNote> notes = IntStream.rangeClosed(1, 60)
                .mapToObj(i -> AmoCrmNewNote.common(i, "note " + i)).toList();

        AmoCrmBatchException e = assertThrows(AmoCrmBatchException.class,
                () -> client.addNotes(account, AmoCrmApiClient.LEADS, notes));

        assertEquals(50, e.created().size());
        assertEquals(10_000L, e.created().get(0));
        assertEquals(Disposition.RETRY, e.disposition());
        assertEquals(500, e.status());
        assertEquals(Duration.ofSeconds(5), e.retryAfter().orElseThrow());
    }

    @Test
    void aFailureOfTheFirstRequestIsAPlainApiException() {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).willReturn(aResponse().withStatus(500)));

        AmoCrmApiException e = assertThrows(AmoCrmApiException.class, this::addOneNote);

        assertFalse(e instanceof AmoCrmBatchException);
    }

    /** Answers the chunk whose first note is for entity {@code firstEntity} with ids {@code firstId, firstId+1, ...}. */
    private void stubNotesChunk(int firstEntity, int size, long firstId) {
        ObjectNode answer = json.createObjectNode();
        ArrayNode items = answer.putObject("_embedded").putArray("notes");
        for (int i = 0; i < size; i++) {
            items.addObject().put("id", firstId + i).put("entity_id", firstEntity + i).put("request_id", String.valueOf(i));
        }
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes"))
                .withRequestBody(matchingJsonPath("$[0].entity_id", equalTo(String.valueOf(firstEntity))))
                .willReturn(okJson(answer.toString())));
    }

    @Test
    void notesGoOnlyToLeadsOrContacts() {
        assertThrows(IllegalArgumentException.class,
                () -> client.addNotes(account, "companies", List.of(AmoCrmNewNote.common(1, "x"))));
        AMO.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void commonNotesAreEditedWithABatchPatch() {
        AMO.stubFor(patch(urlPathEqualTo("/api/v4/leads/notes")).willReturn(hal("notes-updated.json")));

        List<Long> ids = client.updateNotes(account, AmoCrmApiClient.LEADS,
                List.of(AmoCrmNoteUpdate.common(4000000301L, 3000000201L, "Message #17 read")));

        AMO.verify(patchRequestedFor(urlPathEqualTo("/api/v4/leads/notes")).withRequestBody(equalToJson("""
                [{"id":4000000301,"entity_id":3000000201,"note_type":"common","params":{"text":"Message #17 read"}}]""")));
        assertEquals(List.of(4000000301L), ids);
    }

    @Test
    void serviceMessagesAreEditedWithTheirServiceAndFullText() {
        AMO.stubFor(patch(urlPathEqualTo("/api/v4/leads/notes")).willReturn(hal("notes-updated.json")));

        List<Long> ids = client.updateNotes(account, AmoCrmApiClient.LEADS,
                List.of(AmoCrmNoteUpdate.serviceMessage(4000000301L, 3000000201L, "Pact", "Message #17 read")));

        assertEquals(List.of(4000000301L), ids);
        AMO.verify(patchRequestedFor(urlPathEqualTo("/api/v4/leads/notes")).withRequestBody(equalToJson("""
                [{"id":4000000301,"entity_id":3000000201,"note_type":"service_message",
                  "params":{"service":"Pact","text":"Message #17 read"}}]""")));
    }

    @Test
    void recentNotesOfOneTypeAreReadFromTheEntityNewestFirst() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/leads/3000000201/notes")).willReturn(hal("notes-list.json")));

        List<AmoCrmNote> notes = client.recentNotes(account, AmoCrmApiClient.LEADS, 3000000201L,
                AmoCrmNoteType.SERVICE_MESSAGE, java.time.Instant.ofEpochSecond(1763600000L));

        assertEquals(List.of(4000000402L, 4000000401L), notes.stream().map(AmoCrmNote::id).toList());
        assertEquals("Mensagem “Olá” — ✓ entregue", notes.get(0).text());
        AMO.verify(getRequestedFor(urlPathEqualTo("/api/v4/leads/3000000201/notes"))
                .withQueryParam("filter[note_type][]", equalTo("service_message"))
                .withQueryParam("filter[updated_at][from]", equalTo("1763600000"))
                .withQueryParam("order[id]", equalTo("desc")));
    }

    @Test
    void noRecentNotesIsA204AndAnEmptyList() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/contacts/77/notes")).willReturn(aResponse().withStatus(204)));

        assertTrue(client.recentNotes(account, AmoCrmApiClient.CONTACTS, 77L, AmoCrmNoteType.SERVICE_MESSAGE,
                java.time.Instant.ofEpochSecond(1763600000L)).isEmpty());
    }

    @Test
    void webhooksAreListedFilteredSubscribedAndUnsubscribed() {
        String destination = "https://connector.example.com/webhooks/amocrm/k3y";
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/webhooks")).willReturn(hal("webhooks.json")));
        AMO.stubFor(post(urlPathEqualTo("/api/v4/webhooks")).willReturn(hal("webhook-subscribed.json")));
        AMO.stubFor(delete(urlPathEqualTo("/api/v4/webhooks")).willReturn(noContent()));

        List<AmoCrmWebhook> all = client.listWebhooks(account);
        List<AmoCrmWebhook> mine = client.listWebhooks(account, destination);
        AmoCrmWebhook subscribed = client.subscribeWebhook(account, destination,
                List.of("add_lead", "responsible_lead", "note_lead", "add_contact"));
        client.unsubscribeWebhook(account, destination);

        assertEquals(1, all.size());
        assertTrue(all.get(0).disabled(), "a hook amoCRM switched off must be visible");
        assertEquals(List.of("add_lead", "status_lead", "note_lead"), all.get(0).settings());
        assertEquals(3000000401L, mine.get(0).id());
        AMO.verify(getRequestedFor(urlPathEqualTo("/api/v4/webhooks"))
                .withQueryParam("filter[destination]", equalTo(destination)));
        AMO.verify(postRequestedFor(urlPathEqualTo("/api/v4/webhooks")).withRequestBody(equalToJson("""
                {"destination":"https://connector.example.com/webhooks/amocrm/k3y",
                 "settings":["add_lead","responsible_lead","note_lead","add_contact"]}""")));
        assertEquals(3000000402L, subscribed.id());
        assertFalse(subscribed.disabled());
        AMO.verify(deleteRequestedFor(urlPathEqualTo("/api/v4/webhooks"))
                .withHeader("Authorization", equalTo("Bearer " + account.accessToken()))
                .withRequestBody(equalToJson("{\"destination\":\"https://connector.example.com/webhooks/amocrm/k3y\"}")));
    }

    @Test
    void unauthorizedMeansTheTokenExpiredAndTheCallerRefreshes() {
        AmoCrmApiException e = failGet(401, "application/problem+json", fixture("error-401.json"));

        assertEquals(Disposition.HEALTH, e.disposition());
        assertTrue(e.isTokenExpired());
        assertFalse(e.isAccountBlocked());
        assertEquals(AmoCrmApiException.TOKEN_EXPIRED, e.healthState().orElseThrow());
        assertEquals(AmoCrmApiException.COMPONENT_TOKEN, e.healthComponent().orElseThrow());
        assertEquals("Invalid access token", e.problem().orElseThrow().detail());
    }

    @Test
    void paymentRequiredIsAHealthStateOfBilling() {
        AmoCrmApiException e = failGet(402, "application/problem+json", fixture("error-402.json"));

        assertEquals(Disposition.HEALTH, e.disposition());
        assertFalse(e.isTokenExpired());
        assertEquals(AmoCrmApiException.PAYMENT_REQUIRED, e.healthState().orElseThrow());
        assertEquals(AmoCrmApiException.COMPONENT_BILLING, e.healthComponent().orElseThrow());
    }

    @Test
    void forbiddenWithNginxHtmlMeansTheAccountIsBlocked() {
        AmoCrmApiException e = failGet(403, "text/html", fixture("error-403-blocked.html"));

        assertEquals(Disposition.HEALTH, e.disposition());
        assertTrue(e.isAccountBlocked());
        assertEquals(AmoCrmApiException.ACCOUNT_BLOCKED, e.healthState().orElseThrow());
        assertEquals(AmoCrmApiException.COMPONENT_ACCOUNT, e.healthComponent().orElseThrow());
        assertTrue(e.problem().isEmpty());
        assertTrue(e.retryAfter().isEmpty());
    }

    @Test
    void validationErrorsArePermanentAndParsed() {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/contacts")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/problem+json").withBody(fixture("error-400-validation.json"))));

        AmoCrmApiException e = assertThrows(AmoCrmApiException.class,
                () -> client.createContact(account, "Ivan", "+79001234567", null));

        assertEquals(Disposition.PERMANENT, e.disposition());
        assertEquals(400, e.status());
        AmoCrmProblem problem = e.problem().orElseThrow();
        assertEquals("Bad Request", problem.title());
        assertEquals("Request validation failed", problem.detail());
        assertEquals("0", problem.validationErrors().get(0).requestId());
        AmoCrmProblem.FieldError error = problem.validationErrors().get(0).errors().get(0);
        assertEquals("NotSupportedChoice", error.code());
        assertEquals("custom_fields_values.0.values.0.enum_code", error.path());
        assertTrue(e.getMessage().contains("custom_fields_values.0.values.0.enum_code NotSupportedChoice"),
                e.getMessage());
    }

    @Test
    void notFoundAndUnprocessableArePermanent() {
        for (int status : new int[] {404, 422}) {
            AmoCrmApiException e = failGet(status, "application/problem+json", fixture("error-404.json"));

            assertEquals(Disposition.PERMANENT, e.disposition());
            assertEquals(status, e.status());
            assertEquals("Not Found", e.problem().orElseThrow().title());
            assertTrue(e.healthState().isEmpty());
        }
    }

    @Test
    void tooManyRequestsWithoutRetryAfterPausesTheAccountForTheConfiguredBackOff() {
        AmoCrmApiException e = failGet(429, "application/problem+json", fixture("error-429.json"));

        assertEquals(Disposition.RATE_LIMITED, e.disposition());
        assertEquals(429, e.status());
        assertEquals(Duration.ofSeconds(1), e.retryAfter().orElseThrow());
        Duration wait = rateLimiters.nextPermitIn("amocrm", account.limiterKey(), "default");
        assertTrue(wait.compareTo(Duration.ZERO) > 0 && wait.compareTo(Duration.ofSeconds(1)) <= 0, wait.toString());
    }

    @Test
    void tooManyRequestsHonoursRetryAfterAndTheNextCallNeverReachesAmoCrm() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(aResponse().withStatus(429)
                .withHeader("Retry-After", "30").withBody("Too Many Requests")));
        AmoCrmApiException first = assertThrows(AmoCrmApiException.class, () -> client.account(account));

        AmoCrmApiException local = assertThrows(AmoCrmApiException.class, () -> client.contact(account, 1));

        assertEquals(Duration.ofSeconds(30), first.retryAfter().orElseThrow());
        assertEquals(Disposition.RATE_LIMITED, local.disposition());
        assertEquals(0, local.status());
        assertTrue(local.retryAfter().orElseThrow().compareTo(Duration.ofSeconds(25)) > 0, local.getMessage());
        AMO.verify(1, anyRequestedFor(anyUrl()));
        AmoCrmAccount otherAccount = new AmoCrmAccount("http://127.0.0.1:" + AMO.port(), "other-token-1234567890");
        assertTrue(rateLimiters.nextPermitIn("amocrm", otherAccount.limiterKey(), "default").isZero(),
                "only the account amoCRM refused is paused");
    }

    @Test
    void serverErrorsAreRetriedHonouringRetryAfter() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account"))
                .willReturn(aResponse().withStatus(500).withHeader("Retry-After", "120").withBody("oops")));
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).willReturn(aResponse().withStatus(503)));

        AmoCrmApiException read = assertThrows(AmoCrmApiException.class, () -> client.account(account));
        AmoCrmApiException write = assertThrows(AmoCrmApiException.class, this::addOneNote);

        assertEquals(Disposition.RETRY, read.disposition());
        assertEquals(500, read.status());
        assertEquals(Duration.ofSeconds(120), read.retryAfter().orElseThrow());
        assertEquals(Disposition.RETRY, write.disposition());
        assertEquals(503, write.status());
    }

    @Test
    void aGatewayTimeoutOnAWriteIsAmbiguousButOnAReadAPlainRetry() {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).willReturn(aResponse().withStatus(504)));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(aResponse().withStatus(502)));

        assertEquals(Disposition.RETRY_AMBIGUOUS, assertThrows(AmoCrmApiException.class, this::addOneNote).disposition());
        assertEquals(Disposition.RETRY, assertThrows(AmoCrmApiException.class, () -> client.account(account)).disposition());
    }

    @Test
    void timeoutsOnPostAndPatchAreAmbiguousOnGetAndDeleteAPlainRetry() {
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).willReturn(hal("notes-added.json").withFixedDelay(1500)));
        AMO.stubFor(patch(urlPathEqualTo("/api/v4/leads/notes")).willReturn(hal("notes-updated.json").withFixedDelay(1500)));
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(hal("account.json").withFixedDelay(1500)));
        AMO.stubFor(delete(urlPathEqualTo("/api/v4/webhooks")).willReturn(noContent().withFixedDelay(1500)));

        AmoCrmApiException post = assertThrows(AmoCrmApiException.class, this::addOneNote);
        AmoCrmApiException patch = assertThrows(AmoCrmApiException.class, () -> client.updateNotes(account,
                AmoCrmApiClient.LEADS, List.of(AmoCrmNoteUpdate.common(1, 2, "x"))));
        AmoCrmApiException get = assertThrows(AmoCrmApiException.class, () -> client.account(account));
        AmoCrmApiException delete = assertThrows(AmoCrmApiException.class,
                () -> client.unsubscribeWebhook(account, "https://connector.example.com/h"));

        assertEquals(Disposition.RETRY_AMBIGUOUS, post.disposition());
        assertEquals(Disposition.RETRY_AMBIGUOUS, patch.disposition());
        assertEquals(Disposition.RETRY, get.disposition());
        assertEquals(Disposition.RETRY, delete.disposition());
        for (AmoCrmApiException e : List.of(post, patch, get, delete)) {
            assertEquals(0, e.status());
            assertTrue(OutboundFailures.isTimeout(e), e.getMessage());
        }
    }

    @Test
    void aRedirectIsNotFollowedWithTheTokenAndIsRetriedNotTakenForAnAnswer() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(aResponse().withStatus(302)
                .withHeader("Location", AMO.baseUrl() + "/moved")));
        AMO.stubFor(delete(urlPathEqualTo("/api/v4/webhooks")).willReturn(aResponse().withStatus(301)
                .withHeader("Location", "/moved")));

        AmoCrmApiException read = assertThrows(AmoCrmApiException.class, () -> client.account(account));
        AmoCrmApiException delete = assertThrows(AmoCrmApiException.class,
                () -> client.unsubscribeWebhook(account, "https://connector.example.com/h"));

        assertEquals(302, read.status());
        assertEquals(301, delete.status());
        for (AmoCrmApiException e : List.of(read, delete)) {
            assertEquals(Disposition.RETRY, e.disposition(), "a redirect is answered before the request is taken");
            assertTrue(e.getMessage().contains("redirect"), e.getMessage());
            assertFalse(e.getMessage().contains(account.accessToken()), e.getMessage());
        }
        AMO.verify(0, anyRequestedFor(urlPathEqualTo("/moved")));
    }

    @Test
    void anAnswerThatDoesNotFitIsRetriedAndAWriteLookedUpNeverDeadLettered() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(okJson("{\"id\":\"not a number\"}")));
        AMO.stubFor(post(urlPathEqualTo("/api/v4/webhooks")).willReturn(okJson("{\"id\":\"not a number\"}")));

        AmoCrmApiException read = assertThrows(AmoCrmApiException.class, () -> client.account(account));
        AmoCrmApiException write = assertThrows(AmoCrmApiException.class,
                () -> client.subscribeWebhook(account, "https://connector.example.com/h", List.of("add_lead")));

        for (AmoCrmApiException e : List.of(read, write)) {
            assertEquals(Disposition.RETRY_AMBIGUOUS, e.disposition(), e.getMessage());
            assertEquals(200, e.status());
        }
    }

    @Test
    void aRefusedConnectionIsRetried() throws IOException {
        AmoCrmAccount unreachable = new AmoCrmAccount("http://127.0.0.1:" + freePort(), account.accessToken());

        AmoCrmApiException e = assertThrows(AmoCrmApiException.class, () -> client.account(unreachable));

        assertEquals(Disposition.RETRY, e.disposition());
        assertEquals(0, e.status());
        assertFalse(e.getMessage().contains(account.accessToken()));
    }

    @Test
    void twentyCallsNeverExceedSevenInAnyOneSecondWindowAtAmoCrm() throws Exception {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(hal("account.json")));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<AmoCrmAccountInfo>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(pool.submit(() -> client.account(account)));
            }
            for (Future<AmoCrmAccountInfo> call : calls) {
                assertEquals(29138932L, call.get().id());
            }
        } finally {
            pool.shutdownNow();
        }

        List<Long> arrivals = AMO.getAllServeEvents().stream()
                .map(ServeEvent::getRequest)
                .map(r -> r.getLoggedDate().getTime())
                .sorted().toList();
        assertEquals(20, arrivals.size());
        for (long start : arrivals) {
            long inWindow = arrivals.stream().filter(t -> t >= start && t < start + 1000).count();
            assertTrue(inWindow <= 7, inWindow + " requests within 1 s from " + start + ": " + arrivals);
        }
        // 20 calls at 7 per second need three windows: the limiter really held calls back.
        assertTrue(arrivals.get(19) - arrivals.get(0) >= 2000, arrivals.toString());
    }

    @Test
    void theTokenNeverAppearsInExceptionMessagesOrLogsEvenWhenAmoCrmEchoesIt() {
        Logger logger = (Logger) LoggerFactory.getLogger(AmoCrmApiClient.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        List<String> tokens = new ArrayList<>();
        try {
            for (int status : new int[] {400, 401, 402, 403, 404, 429, 500}) {
                newAccount();
                String echo = "{\"title\":\"Error\",\"status\":%d,\"detail\":\"token %s is bad\"}"
                        .formatted(status, account.accessToken());
                AmoCrmApiException e = failGet(status, "application/problem+json", echo);

                assertFalse(e.getMessage().contains(account.accessToken()), e.getMessage());
                assertTrue(e.getMessage().contains("is bad"), "the rest of amoCRM's detail is kept: " + e.getMessage());
                tokens.add(account.accessToken());
            }
        } finally {
            logger.detachAppender(logs);
        }

        assertEquals(7, logs.list.stream().filter(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().startsWith("event=amocrm_call_failed operation=account status=")).count());
        for (String token : tokens) {
            assertTrue(logs.list.stream().noneMatch(e -> e.getFormattedMessage().contains(token)));
        }
    }

    @Test
    void theAccountNeverPrintsItsToken() {
        String printed = account.toString();

        assertFalse(printed.contains(account.accessToken()), printed);
        assertTrue(printed.contains(account.baseUrl()), printed);
        assertEquals("acme.amocrm.ru", AmoCrmAccount.ofHost("ACME.amocrm.ru", "t").limiterKey());
    }

    @Test
    void callsAreCountedByOperationAndOutcomeWithThePactClientsTags() {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(hal("account.json")));
        AMO.stubFor(post(urlPathEqualTo("/api/v4/leads/notes")).willReturn(aResponse().withStatus(401)));
        double okBefore = count("account", "ok");
        double healthBefore = count("add-notes", "health");

        client.account(account);
        assertThrows(AmoCrmApiException.class, this::addOneNote);

        assertEquals(okBefore + 1, count("account", "ok"));
        assertEquals(healthBefore + 1, count("add-notes", "health"));
        assertTrue(meters.find("connector.outbound.latency")
                .tags("target", "amocrm", "operation", "add-notes", "outcome", "health").timer().count() >= 1);
    }

    private double count(String operation, String outcome) {
        Counter counter = meters.find("connector.outbound.calls")
                .tags("target", "amocrm", "operation", operation, "outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    private AmoCrmApiException failGet(int status, String contentType, String body) {
        AMO.stubFor(WireMock.get(urlPathEqualTo("/api/v4/account")).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", contentType).withBody(body)));
        AmoCrmApiException e = assertThrows(AmoCrmApiException.class, () -> client.account(account));
        assertEquals(status, e.status());
        return e;
    }

    private List<Long> addOneNote() {
        return client.addNotes(account, AmoCrmApiClient.LEADS, List.of(AmoCrmNewNote.common(3000000201L, "hello")));
    }

    private JsonNode readTree(String body) {
        try {
            return json.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder hal(String fixture) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/hal+json")
                .withBody(fixture(fixture));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static String fixture(String name) {
        try (var in = AmoCrmApiClientIT.class.getResourceAsStream("/fixtures/amocrm/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("No fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
