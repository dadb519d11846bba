package com.pactcrm.connector.bitrix24.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.testsupport.StartedWireMock;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Bitrix24 client's answers that the flow tests' fake never gives: a maintenance page with {@code Retry-After} and a
 * portal that echoes the access token back.
 */
@MicronautTest(transactional = false, startApplication = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Bitrix24ApiClientIT implements TestPropertyProvider {

    @RegisterExtension
    static final StartedWireMock PORTAL = new StartedWireMock();

    @Inject
    Bitrix24ApiClient client;
    @Inject
    ObjectMapper json;
    @Inject
    Clock clock;

    private Bitrix24Portal portal;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "connector.bitrix24.scheme", "http",
                // The tests fail calls on purpose; the breaker must not open on them.
                "connector.circuit-breaker.window", "1000",
                "connector.circuit-breaker.minimum-calls", "1000");
    }

    @BeforeEach
    void newPortal() {
        PORTAL.resetAll();
        portal = new Bitrix24Portal(UUID.randomUUID().toString().replace("-", ""), "127.0.0.1:" + PORTAL.port(),
                "b24-access-token-" + UUID.randomUUID());
    }

    @Test
    void aServerErrorsRetryAfterIsHonouredAsSecondsOrAsAnHttpDate() {
        String inTwoMinutes = DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().plusSeconds(120).atZone(ZoneOffset.UTC));
        PORTAL.stubFor(post(urlPathEqualTo("/rest/crm.item.get")).willReturn(aResponse().withStatus(503)
                .withHeader("Retry-After", "7").withBody("<html>maintenance")));
        PORTAL.stubFor(post(urlPathEqualTo("/rest/crm.item.add")).willReturn(aResponse().withStatus(500)
                .withHeader("Retry-After", inTwoMinutes).withBody("<html>maintenance")));

        Bitrix24ApiException read = assertThrows(Bitrix24ApiException.class,
                () -> client.call(portal, "crm.item.get", json.createObjectNode().put("id", 1)));
        Bitrix24ApiException write = assertThrows(Bitrix24ApiException.class,
                () -> client.call(portal, "crm.item.add", json.createObjectNode()));

        assertEquals(Disposition.RETRY, read.disposition());
        assertEquals(Duration.ofSeconds(7), read.retryAfter().orElseThrow());
        assertEquals(Disposition.RETRY_AMBIGUOUS, write.disposition());
        Duration wait = write.retryAfter().orElseThrow();
        assertTrue(wait.compareTo(Duration.ofSeconds(110)) > 0 && wait.compareTo(Duration.ofSeconds(120)) <= 0,
                wait.toString());
    }

    @Test
    void theAccessTokenNeverAppearsInTheMessageEvenWhenThePortalEchoesIt() {
        PORTAL.stubFor(post(urlPathEqualTo("/rest/crm.item.get")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":\"INVALID_REQUEST\",\"error_description\":\"auth " + portal.accessToken()
                        + " is not valid here\"}")));

        Bitrix24ApiException e = assertThrows(Bitrix24ApiException.class,
                () -> client.call(portal, "crm.item.get", json.createObjectNode().put("id", 1)));

        assertEquals(Disposition.PERMANENT, e.disposition());
        assertEquals("INVALID_REQUEST", e.error());
        assertFalse(e.getMessage().contains(portal.accessToken()), e.getMessage());
        assertTrue(e.getMessage().contains("is not valid here"), e.getMessage());
    }
}
