package com.pactcrm.connector.widgetapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.security.SessionTokens;
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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /api/v1/waba-templates} against the Pact fake: the company's approved templates, read from Pact once and
 * kept briefly per installation (each card showing a WABA conversation asks; Pact allows 20 reads a minute), and what
 * Pact refused said in the plain words the card shows.
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WabaTemplatesIT implements TestPropertyProvider {

    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;
    @Inject
    SessionTokens sessions;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl(),
                "connector.card.waba-templates-ttl", "2s");
    }

    @BeforeEach
    void reset() {
        PACT.reset();
    }

    private HttpResponse<String> templates(String token) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.getURL() + "/api/v1/waba-templates"))
                .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<String> names(String token) throws Exception {
        HttpResponse<String> response = templates(token);
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body()).get("templates").findValuesAsText("name");
    }

    private String manager(long pactCompanyId, String pactToken) {
        Installation installation = installations.create(CrmKind.AMOCRM, pactToken, pactCompanyId, null);
        return sessions.issue(installation.id(), "7", "Bruno", false);
    }

    @Test
    void theCompanysTemplatesAreReadFromPactOnceAndKeptBriefly() throws Exception {
        PACT.addWabaTemplate(11L, 3100000011L, "order_ready", "Hello {{1}}, your order {{2}} is ready", 2);
        PACT.addWabaTemplate(12L, 3100000012L, "other_company", "Hi", 0);
        String eleven = manager(11L, "pact-token-" + UUID.randomUUID());

        HttpResponse<String> first = templates(eleven);
        assertEquals(200, first.statusCode(), first.body());
        JsonNode template = JSON.readTree(first.body()).get("templates");
        assertEquals(1, template.size(), "only the installation's company: " + first.body());
        assertEquals(3100000011L, template.get(0).get("wabaId").asLong());
        assertEquals("Hello {{1}}, your order {{2}} is ready", template.get(0).get("body").asText());
        assertEquals(2, template.get(0).get("substitutionsCount").asInt());
        assertEquals(List.of("order_ready"), names(eleven));
        assertEquals(1, PACT.callCount("waba-templates"), "the second card within the time asked nobody");

        assertEquals(List.of("other_company"), names(manager(12L, "pact-token-" + UUID.randomUUID())),
                "another installation reads its own company's");
        assertEquals(2, PACT.callCount("waba-templates"));

        PACT.addWabaTemplate(11L, 3100000013L, "payment_due", "Your payment of {{1}} is due", 1);
        assertEquals(List.of("order_ready"), names(eleven), "kept");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500))
                .until(() -> names(eleven).size() == 2);
        assertEquals(3, PACT.callCount("waba-templates"), "read again once the kept list expired");
    }

    @Test
    void whatPactRefusesIsSaidInPlainWordsAndNotKept() throws Exception {
        String unpaidToken = "pact-token-" + UUID.randomUUID();
        String revokedToken = "pact-token-" + UUID.randomUUID();
        String unpaid = manager(21L, unpaidToken);
        String revoked = manager(22L, revokedToken);
        PACT.denyToken(unpaidToken, 402);
        PACT.denyToken(revokedToken, 401);

        assertRefused(templates(unpaid), 502, "the Pact company's plan is unpaid");
        assertRefused(templates(revoked), 502, "Pact refused the API token: check it in app.pact.im");
        assertRefused(templates(manager(23L, null)), 409,
                "Pact is not connected: an admin must enter the Pact API token in the settings");

        PACT.reset();
        PACT.addWabaTemplate(21L, 3100000021L, "welcome", "Welcome!", 0);
        assertEquals(List.of("welcome"), names(unpaid), "a refusal is not kept: paid again, the list comes at once");
        assertEquals(List.of(), names(revoked), "a company without templates gets an empty list");
    }

    private static void assertRefused(HttpResponse<String> response, int status, String detail) throws Exception {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        assertEquals(detail, JSON.readTree(response.body()).get("detail").asText());
    }
}
