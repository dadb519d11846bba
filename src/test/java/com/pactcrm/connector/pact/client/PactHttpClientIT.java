package com.pactcrm.connector.pact.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.sync.resilience.OutboundCallPipeline;
import com.pactcrm.connector.sync.resilience.OutboundRateLimiters;
import com.pactcrm.connector.testsupport.StartedWireMock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.http.client.HttpClient;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

@MicronautTest(transactional = false, startApplication = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PactHttpClientIT implements TestPropertyProvider {

    private static final long COMPANY = 154;
    @RegisterExtension
    private static final StartedWireMock PACT = new StartedWireMock(options().dynamicPort());

    @Inject
    PactHttpClient client;
    @Inject
    OutboundRateLimiters rateLimiters;
    @Inject
    OutboundCallPipeline pipeline;
    @Inject
    MeterRegistry meters;
    @Inject
    ObjectMapper json;
    @Inject
    Clock clock;

    /** Each test gets its own token, so limiter state (and 429 pauses) never leaks between tests. */
    private PactCredentials credentials;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "connector.pact.api-url", PACT.baseUrl(),
                "connector.pact.read-timeout", "1s",
                // The error tests fail on purpose; the breaker must not open on them and skew later tests.
                "connector.circuit-breaker.window", "1000",
                "connector.circuit-breaker.minimum-calls", "1000");
    }

    @BeforeEach
    void resetPact() {
        PACT.resetAll();
        credentials = new PactCredentials("pact-private-token-" + UUID.randomUUID(), COMPANY);
    }

    @Test
    void searchSendsTokenHeaderAndCompanyInQueryAndReadsIdsAbove32Bits() {
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations")).willReturn(okJson(fixture("conversations.json"))));

        List<PactConversation> found = client.searchConversations(credentials, "79001234567", 2, 25);

        PACT.verify(getRequestedFor(urlPathEqualTo("/api/p2/conversations"))
                .withHeader("X-Private-Api-Token", equalTo(credentials.apiToken()))
                .withQueryParam("company_id", equalTo("154"))
                .withQueryParam("search_string", equalTo("79001234567"))
                .withQueryParam("page", equalTo("2"))
                .withQueryParam("per_page", equalTo("25"))
                .withQueryParam("private_api_token", absent()));
        assertEquals(2, found.size());
        assertEquals(3073572213L, found.get(0).id());
        assertEquals(4583160940L, found.get(0).lastMessageId());
        assertEquals("+79001234567", found.get(0).senderExternalPublicId());
        assertEquals("telegram_personal", found.get(1).provider());
        assertNull(found.get(1).senderPhone());
        assertEquals("archived", found.get(1).operationalState());
    }

    @Test
    void searchWithoutASearchStringListsAllConversationsOfTheCompany() {
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations")).willReturn(okJson(fixture("conversations.json"))));

        client.searchConversations(credentials, null, 1, 25);

        PACT.verify(getRequestedFor(urlPathEqualTo("/api/p2/conversations"))
                .withQueryParam("company_id", equalTo("154"))
                .withQueryParam("search_string", absent()));
    }

    @Test
    void getConversationReadsTheWrappedObject() {
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations/3073572213"))
                .withQueryParam("company_id", equalTo("154"))
                .willReturn(okJson(fixture("conversation.json"))));

        PactConversation conversation = client.getConversation(credentials, 3073572213L);

        assertEquals(3073572213L, conversation.id());
        assertEquals(154L, conversation.companyId());
        assertEquals("unreplied", conversation.repliedState());
        assertFalse(conversation.group());
    }

    @Test
    void getConversationAlsoAcceptsABareObject() throws IOException {
        String bare = json.readTree(fixture("conversation.json")).get("conversation").toString();
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations/3073572213")).willReturn(okJson(bare)));

        assertEquals(3073572213L, client.getConversation(credentials, 3073572213L).id());
    }

    @Test
    void writeFirstOnWhatsappSendsDigitsOnlyPhoneAndNeverToPactCrm() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(okJson(fixture("message-sent.json"))));

        PactMessage sent = client.writeFirst(credentials,
                PactWriteFirstRequest.whatsapp("+7 (900) 123-45-67", "Hello from the CRM"));

        PACT.verify(postRequestedFor(urlPathEqualTo("/api/p2/messages"))
                .withHeader("X-Private-Api-Token", equalTo(credentials.apiToken()))
                .withHeader("Content-Type", WireMock.containing("application/json"))
                .withRequestBody(equalToJson("""
                        {"company_id":154,"provider":"whatsapp","phone":"79001234567",
                         "text":"Hello from the CRM","send_to_crm":false}""", false, false)));
        assertEquals(4583160941L, sent.id());
        assertEquals(3073572213L, sent.conversationId());
        assertEquals("sent", sent.status());
        assertNull(sent.externalId());
    }

    @Test
    void writeFirstOnTelegramByNicknameSendsItWithoutTheAt() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(okJson(fixture("message-sent.json"))));

        client.writeFirst(credentials, PactWriteFirstRequest.telegramByNickname("@jane_doe", "Hi Jane"));

        PACT.verify(postRequestedFor(urlPathEqualTo("/api/p2/messages")).withRequestBody(equalToJson("""
                {"company_id":154,"provider":"telegram_personal","nickname":"jane_doe",
                 "text":"Hi Jane","send_to_crm":false}""", false, false)));
    }

    @Test
    void writeFirstOnWabaSendsTheTemplateAndItsSubstitutionsWithoutText() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(okJson(fixture("message-sent.json"))));

        client.writeFirst(credentials, PactWriteFirstRequest.waba("+79001234567", 3100000002L, List.of("Anna", "A-17")));

        PACT.verify(postRequestedFor(urlPathEqualTo("/api/p2/messages")).withRequestBody(equalToJson("""
                {"company_id":154,"provider":"whatsapp_business","phone":"79001234567",
                 "waba_id":3100000002,"substitutions":["Anna","A-17"],"send_to_crm":false}""", false, false)));
    }

    @Test
    void writeFirstWithAnAttachmentSendsExactlyOneAttachmentId() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(okJson(fixture("message-sent.json"))));

        client.writeFirst(credentials, new PactWriteFirstRequest(PactWriteFirstRequest.WHATSAPP, "79001234567", null,
                null, null, null, 5000000001L));

        PACT.verify(postRequestedFor(urlPathEqualTo("/api/p2/messages")).withRequestBody(equalToJson("""
                {"company_id":154,"provider":"whatsapp","phone":"79001234567",
                 "attachment_ids":[5000000001],"send_to_crm":false}""", false, false)));
    }

    @Test
    void sendInConversationSendsTextAttachmentReplyAndNeverToPactCrm() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/conversations/3073572213/messages"))
                .willReturn(okJson(fixture("message-sent.json"))));

        PactMessage sent = client.sendMessage(credentials, 3073572213L,
                new PactSendMessageRequest("See attached", 5000000001L, "wamid.HBgLNzkwMDEyMzQ1NjcVAgASGBQzQUM4"));

        PACT.verify(postRequestedFor(urlPathEqualTo("/api/p2/conversations/3073572213/messages"))
                .withHeader("X-Private-Api-Token", equalTo(credentials.apiToken()))
                .withRequestBody(equalToJson("""
                        {"company_id":154,"text":"See attached","attachment_ids":[5000000001],
                         "replied_to_id":"wamid.HBgLNzkwMDEyMzQ1NjcVAgASGBQzQUM4","send_to_crm":false}""",
                        false, false)));
        assertEquals(4583160941L, sent.id());
    }

    @Test
    void updateConversationSendsOnlyTheFieldsThatChange() {
        PACT.stubFor(put(urlPathEqualTo("/api/p2/conversations/3073572213")).willReturn(okJson(fixture("conversation.json"))));

        PactConversation updated = client.updateConversation(credentials, 3073572213L,
                PactConversationUpdate.state("archived", null));

        PACT.verify(putRequestedFor(urlPathEqualTo("/api/p2/conversations/3073572213")).withRequestBody(equalToJson("""
                {"company_id":154,"operational_state":"archived"}""", false, false)));
        assertEquals(3073572213L, updated.id());
    }

    @Test
    void unassigningSendsAnExplicitNullAssignee() {
        PACT.stubFor(put(urlPathEqualTo("/api/p2/conversations/3073572213")).willReturn(okJson(fixture("conversation.json"))));

        client.updateConversation(credentials, 3073572213L, PactConversationUpdate.unassigned());
        client.updateConversation(credentials, 3073572213L, PactConversationUpdate.assign(3000000077L));

        List<String> bodies = PACT.findAll(putRequestedFor(urlPathEqualTo("/api/p2/conversations/3073572213")))
                .stream().map(r -> r.getBodyAsString()).toList();
        assertEquals(List.of("{\"company_id\":154,\"assignee_id\":null}",
                "{\"company_id\":154,\"assignee_id\":3000000077}"), bodies);
    }

    @Test
    void listMessagesReadsIncomingAndFailedMessages() {
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations/3073572213/messages"))
                .withQueryParam("company_id", equalTo("154"))
                .withQueryParam("page", equalTo("1"))
                .withQueryParam("per_page", equalTo("150"))
                .willReturn(okJson(fixture("messages.json"))));

        List<PactMessage> messages = client.listMessages(credentials, 3073572213L, 1, 150);

        assertEquals(2, messages.size());
        assertEquals(4583160940L, messages.get(0).id());
        assertEquals(2583160940L, messages.get(0).contactId());
        assertTrue(messages.get(0).income());
        assertEquals("image.jpg", messages.get(0).attachments().get(0).get("file_name").asText());
        assertEquals("error", messages.get(1).status());
        assertEquals("re-engagement window closed", messages.get(1).details().get("reason").asText());
    }

    @Test
    void wabaTemplatesUseTheDocumentedV2PathFilteredByCompany() {
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/waba_templates"))
                .withQueryParam("company_ids[]", equalTo("154"))
                .willReturn(okJson(fixture("waba-templates.json"))));

        List<PactWabaTemplate> templates = client.wabaTemplates(credentials, 1, 25);

        assertEquals(1, templates.size());
        assertEquals(3100000002L, templates.get(0).wabaId());
        assertEquals(2, templates.get(0).substitutionsCount());
    }

    @Test
    void uploadSendsAMultipartFileWithTheCompany() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/attachments/")).willReturn(okJson(fixture("attachment.json"))));

        PactAttachment attachment = client.uploadAttachment(credentials, "invoice.pdf", "application/pdf",
                "%PDF-1.4".getBytes(StandardCharsets.US_ASCII));

        PACT.verify(postRequestedFor(urlPathEqualTo("/api/p2/attachments/"))
                .withHeader("Content-Type", WireMock.containing("multipart/form-data"))
                .withHeader("X-Private-Api-Token", equalTo(credentials.apiToken()))
                .withAnyRequestBodyPart(WireMock.aMultipart("company_id").withBody(equalTo("154")))
                .withAnyRequestBodyPart(WireMock.aMultipart("file").withBody(equalTo("%PDF-1.4"))));
        assertEquals(5000000001L, attachment.id());
        assertEquals("application/pdf", attachment.mimeType());
    }

    @Test
    void uploadFromUrlSendsJsonWithTheCompany() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/attachments/")).willReturn(okJson(fixture("attachment.json"))));

        PactAttachment attachment = client.uploadAttachmentFromUrl(credentials, "https://crm.example.com/f/invoice.pdf");

        PACT.verify(postRequestedFor(urlPathEqualTo("/api/p2/attachments/")).withRequestBody(equalToJson("""
                {"company_id":154,"file_url":"https://crm.example.com/f/invoice.pdf"}""", false, false)));
        assertEquals("invoice.pdf", attachment.fileName());
    }

    @Test
    void webhooksAreListedRegisteredAndActivatedUnderTheCompany() {
        String path = "/api/p2/companies/154/webhooks";
        PACT.stubFor(WireMock.get(urlPathEqualTo(path)).willReturn(okJson(fixture("webhooks.json"))));
        PACT.stubFor(post(urlPathEqualTo(path)).willReturn(okJson(fixture("webhook-created.json"))));
        PACT.stubFor(put(urlPathEqualTo(path + "/3000000012")).willReturn(okJson(fixture("webhook-activated.json"))));

        List<PactWebhook> existing = client.listWebhooks(credentials);
        PactWebhook created = client.registerWebhook(credentials, "https://connector.example.com/webhooks/pact/s3cr3t");
        PactWebhook activated = client.activateWebhook(credentials, created.id());

        assertEquals(List.of(new PactWebhook(3000000011L, "https://connector.example.com/webhooks/pact/s3cr3t", true)),
                existing);
        assertFalse(created.active());
        assertTrue(activated.active());
        PACT.verify(postRequestedFor(urlPathEqualTo(path)).withRequestBody(equalToJson("""
                {"url":"https://connector.example.com/webhooks/pact/s3cr3t"}""", false, false)));
        PACT.verify(putRequestedFor(urlPathEqualTo(path + "/3000000012"))
                .withRequestBody(equalToJson("{\"active\":true}", false, false)));
    }

    @Test
    void noteGoesToTheV1PathWithTheSameTokenHeader() {
        String path = "/p1/companies/154/conversations/3073572213/note";
        PACT.stubFor(put(urlPathEqualTo(path)).willReturn(okJson(fixture("note-updated.json"))));

        client.setConversationNote(credentials, 3073572213L, "Deal #1234 in amoCRM");

        PACT.verify(putRequestedFor(urlPathEqualTo(path))
                .withHeader("X-Private-Api-Token", equalTo(credentials.apiToken()))
                .withRequestBody(equalToJson("{\"note\":\"Deal #1234 in amoCRM\"}", false, false)));
    }

    @Test
    void unauthorizedIsAHealthStateOfTheToken() {
        assertHealth(401, "UNAUTHORIZED", "PACT_TOKEN");
    }

    @Test
    void paymentRequiredIsAHealthStateOfBilling() {
        assertHealth(402, "PAYMENT_REQUIRED", "PACT_BILLING");
    }

    @Test
    void forbiddenIsAHealthStateOfTheToken() {
        assertHealth(403, "FORBIDDEN", "PACT_TOKEN");
    }

    private void assertHealth(int status, String healthState, String healthComponent) {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody(fixture("error-401.json"))));

        PactApiException e = assertThrows(PactApiException.class, this::writeFirst);

        assertEquals(Disposition.HEALTH, e.disposition());
        assertEquals(status, e.status());
        assertEquals(healthState, e.healthState().orElseThrow());
        assertEquals(healthComponent, e.healthComponent().orElseThrow());
        assertEquals("unauthorized", e.code());
        assertEquals("No token provided", e.detail());
    }

    @Test
    void notFoundIsPermanent() {
        assertPermanent(404);
    }

    @Test
    void badRequestAndValidationErrorsArePermanent() {
        assertPermanent(400);
        assertPermanent(422);
    }

    private void assertPermanent(int status) {
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations/1")).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"errors\":[{\"status\":" + status + ",\"code\":\"not_found\",\"title\":\"Not found\"}]}")));

        PactApiException e = assertThrows(PactApiException.class, () -> client.getConversation(credentials, 1));

        assertEquals(Disposition.PERMANENT, e.disposition());
        assertEquals(status, e.status());
        assertEquals("not_found", e.code());
        assertTrue(e.healthState().isEmpty());
    }

    @Test
    void tooManyRequestsTakesTheWaitFromTheDocumentedDetailText() {
        assertRateLimited("error-429.json", 50);
    }

    @Test
    void tooManyRequestsTakesTheWaitFromTheShortDetailText() {
        assertRateLimited("error-429-short.json", 2);
    }

    private void assertRateLimited(String fixture, int seconds) {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(aResponse().withStatus(429)
                .withHeader("Content-Type", "application/json").withBody(fixture(fixture))));

        PactApiException e = assertThrows(PactApiException.class, this::writeFirst);

        assertEquals(Disposition.RATE_LIMITED, e.disposition());
        assertEquals(429, e.status());
        assertEquals("too_many_requests", e.code());
        assertEquals(Duration.ofSeconds(seconds), e.retryAfter().orElseThrow());
    }

    @Test
    void tooManyRequestsFallsBackToRetryAfterThenToAMinute() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(aResponse().withStatus(429)
                .withHeader("Retry-After", "7").withBody("")));
        PactApiException withHeader = assertThrows(PactApiException.class, this::writeFirst);

        PACT.resetAll();
        credentials = new PactCredentials("pact-private-token-" + UUID.randomUUID(), COMPANY);
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(aResponse().withStatus(429)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"errors\":[{\"status\":429,\"code\":\"too_many_requests\",\"detail\":\"Slow down\"}]}")));
        PactApiException withoutHint = assertThrows(PactApiException.class, this::writeFirst);

        assertEquals(Duration.ofSeconds(7), withHeader.retryAfter().orElseThrow());
        assertEquals(Duration.ofSeconds(60), withoutHint.retryAfter().orElseThrow());
    }

    @Test
    void tooManyRequestsPausesTheTokensLimiterSoTheNextCallNeverReachesPact() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(aResponse().withStatus(429)
                .withHeader("Content-Type", "application/json").withBody(fixture("error-429.json"))));
        assertThrows(PactApiException.class, this::writeFirst);

        PactApiException local = assertThrows(PactApiException.class, this::writeFirst);

        assertEquals(Disposition.RATE_LIMITED, local.disposition());
        assertEquals(0, local.status());
        assertTrue(local.retryAfter().orElseThrow().compareTo(Duration.ofSeconds(45)) > 0, local.getMessage());
        PACT.verify(1, postRequestedFor(urlPathEqualTo("/api/p2/messages")));
        Duration wait = rateLimiters.nextPermitIn("pact", credentials.tokenKey(), "send");
        assertTrue(wait.compareTo(Duration.ofSeconds(45)) > 0, wait.toString());
        assertTrue(rateLimiters.nextPermitIn("pact", credentials.tokenKey(), "conversation-read").isZero(),
                "only the operation Pact refused is paused");
    }

    @Test
    void serverErrorsAreRetriedHonouringRetryAfter() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages"))
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "120").withBody("<html>maintenance")));

        PactApiException e = assertThrows(PactApiException.class, this::writeFirst);

        assertEquals(Disposition.RETRY, e.disposition());
        assertEquals(503, e.status());
        assertNull(e.code());
        assertEquals(Duration.ofSeconds(120), e.retryAfter().orElseThrow());
    }

    @Test
    void aRetryAfterGivenAsAnHttpDateIsHonouredToo() {
        String inTwoMinutes = DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().plusSeconds(120).atZone(ZoneOffset.UTC));
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages"))
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", inTwoMinutes).withBody("<html>maintenance")));
        PactApiException maintenance = assertThrows(PactApiException.class, this::writeFirst);

        PACT.resetAll();
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(aResponse().withStatus(429)
                .withHeader("Retry-After", inTwoMinutes).withBody("")));
        PactApiException limited = assertThrows(PactApiException.class, this::writeFirst);

        assertEquals(Disposition.RETRY, maintenance.disposition());
        assertEquals(Disposition.RATE_LIMITED, limited.disposition());
        for (PactApiException e : List.of(maintenance, limited)) {
            Duration wait = e.retryAfter().orElseThrow();
            assertTrue(wait.compareTo(Duration.ofSeconds(110)) > 0 && wait.compareTo(Duration.ofSeconds(120)) <= 0,
                    wait.toString());
        }
    }

    @Test
    void aGatewayErrorOnAWriteIsAmbiguousButOnAReadIsAPlainRetry() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(aResponse().withStatus(502).withBody("<html>")));
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations/2073572213")).willReturn(aResponse().withStatus(504)));

        assertEquals(Disposition.RETRY_AMBIGUOUS, assertThrows(PactApiException.class, this::writeFirst).disposition());
        assertEquals(Disposition.RETRY, assertThrows(PactApiException.class,
                () -> client.getConversation(credentials, 2073572213L)).disposition());
    }

    @Test
    void aTimedOutWriteIsAmbiguousBecausePactMayHaveAppliedIt() {
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages"))
                .willReturn(okJson(fixture("message-sent.json")).withFixedDelay(1500)));

        PactApiException e = assertThrows(PactApiException.class, this::writeFirst);

        assertEquals(Disposition.RETRY_AMBIGUOUS, e.disposition());
        assertEquals(0, e.status());
    }

    @Test
    void aTimedOutUpdateIsAmbiguousToo() {
        PACT.stubFor(put(urlPathEqualTo("/api/p2/conversations/3073572213"))
                .willReturn(okJson(fixture("conversation.json")).withFixedDelay(1500)));

        PactApiException e = assertThrows(PactApiException.class, () -> client.updateConversation(credentials,
                3073572213L, PactConversationUpdate.assign(5)));

        assertEquals(Disposition.RETRY_AMBIGUOUS, e.disposition());
    }

    @Test
    void aTimedOutReadIsSimplyRetried() {
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations/3073572213"))
                .willReturn(okJson(fixture("conversation.json")).withFixedDelay(1500)));

        PactApiException e = assertThrows(PactApiException.class, () -> client.getConversation(credentials, 3073572213L));

        assertEquals(Disposition.RETRY, e.disposition());
        assertEquals(0, e.status());
    }

    @Test
    void aRefusedConnectionIsRetried() throws Exception {
        String closed = "http://localhost:" + freePort();
        try (HttpClient http = HttpClient.create(new URL(closed))) {
            PactHttpClient unreachable = new PactHttpClient(http, json, rateLimiters, pipeline,
                    closed, Duration.ofSeconds(2));

            PactApiException e = assertThrows(PactApiException.class,
                    () -> unreachable.getConversation(credentials, 3073572213L));

            assertEquals(Disposition.RETRY, e.disposition());
            assertEquals(0, e.status());
            assertFalse(e.getMessage().contains(credentials.apiToken()));
        }
    }

    @Test
    void theTokenNeverAppearsInExceptionMessagesOrLogsEvenWhenPactEchoesIt() {
        String echo = "{\"errors\":[{\"status\":%d,\"code\":\"x\",\"title\":\"t\",\"detail\":\"token %s is bad; Please wait 3 seconds\"}]}";
        Logger logger = (Logger) LoggerFactory.getLogger(PactHttpClient.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        List<String> tokens = new ArrayList<>();
        try {
            echoTokenInEveryErrorStatus(echo, tokens);
        } finally {
            logger.detachAppender(logs);
        }

        assertEquals(6, logs.list.stream().filter(e -> e.getLevel() == Level.WARN
                && e.getFormattedMessage().startsWith("event=pact_call_failed operation=send status=")).count());
        for (String token : tokens) {
            assertTrue(logs.list.stream().noneMatch(e -> e.getFormattedMessage().contains(token)));
        }
    }

    private void echoTokenInEveryErrorStatus(String echo, List<String> tokens) {
        for (int status : new int[] {401, 402, 403, 404, 429, 500}) {
            credentials = new PactCredentials("pact-private-token-" + UUID.randomUUID(), COMPANY);
            PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(aResponse().withStatus(status)
                    .withHeader("Content-Type", "application/json")
                    .withBody(echo.formatted(status, credentials.apiToken()))));

            PactApiException e = assertThrows(PactApiException.class, this::writeFirst);

            assertEquals(status, e.status());
            assertFalse(e.getMessage().contains(credentials.apiToken()), e.getMessage());
            assertFalse(e.detail().contains(credentials.apiToken()), e.detail());
            assertTrue(e.getMessage().contains("is bad"), "the rest of Pact's detail is kept: " + e.getMessage());
            tokens.add(credentials.apiToken());
        }
    }

    @Test
    void callsAreCountedByOperationAndOutcome() {
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations/3073572213")).willReturn(okJson(fixture("conversation.json"))));
        PACT.stubFor(post(urlPathEqualTo("/api/p2/messages")).willReturn(aResponse().withStatus(429)
                .withHeader("Content-Type", "application/json").withBody(fixture("error-429-short.json"))));
        double okBefore = count("conversation-read", "ok");
        double limitedBefore = count("send", "rate_limited");

        client.getConversation(credentials, 3073572213L);
        assertThrows(PactApiException.class, this::writeFirst);

        assertEquals(okBefore + 1, count("conversation-read", "ok"));
        assertEquals(limitedBefore + 1, count("send", "rate_limited"));
        assertTrue(meters.find("connector.outbound.latency").tags("target", "pact", "operation", "send").timer()
                .count() >= 1);
    }

    private double count(String operation, String outcome) {
        Counter counter = meters.find("connector.outbound.calls")
                .tags("target", "pact", "operation", operation, "outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    private PactMessage writeFirst() {
        return client.writeFirst(credentials, PactWriteFirstRequest.whatsapp("79001234567", "Hello"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static String fixture(String name) {
        try (var in = PactHttpClientIT.class.getResourceAsStream("/fixtures/pact/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("No fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
