package com.pactcrm.connector.pact.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.sync.resilience.OutboundCircuitBreakers;
import com.pactcrm.connector.testsupport.StartedWireMock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs in its own context: the breaker of the Pact host is shared state and this test opens it on purpose. */
@MicronautTest(transactional = false, startApplication = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PactHttpClientCircuitBreakerIT implements TestPropertyProvider {

    @RegisterExtension
    private static final StartedWireMock PACT = new StartedWireMock(options().dynamicPort());

    @Inject
    PactHttpClient client;
    @Inject
    OutboundCircuitBreakers circuitBreakers;

    @Override
    public Map<String, String> getProperties() {
        return Map.of(
                "connector.pact.api-url", PACT.baseUrl(),
                "connector.pact.read-timeout", "1s",
                "connector.circuit-breaker.window", "4",
                "connector.circuit-breaker.minimum-calls", "4",
                "connector.circuit-breaker.failure-rate", "50",
                "connector.circuit-breaker.open-for", "30s");
    }

    @Test
    void serverErrorsOpenTheHostsBreakerAndThenNoCallReachesPact() {
        PactCredentials credentials = new PactCredentials("pact-private-token-breaker", 154);
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations/404"))
                .willReturn(aResponse().withStatus(404).withBody("{\"errors\":[{\"status\":404}]}")));
        PACT.stubFor(WireMock.get(urlPathEqualTo("/api/p2/conversations/500")).willReturn(aResponse().withStatus(500)));

        for (int i = 0; i < 4; i++) {
            assertThrows(PactApiException.class, () -> client.getConversation(credentials, 404));
        }
        assertEquals(CircuitBreaker.State.CLOSED, circuitBreakers.state("localhost"),
                "a 4xx is our request's fault, not the host's");
        // Two failures in a window of four: the 50 % threshold is reached.
        for (int i = 0; i < 2; i++) {
            assertEquals(Disposition.RETRY,
                    assertThrows(PactApiException.class, () -> client.getConversation(credentials, 500)).disposition());
        }

        PactApiException open = assertThrows(PactApiException.class, () -> client.getConversation(credentials, 500));

        assertEquals(CircuitBreaker.State.OPEN, circuitBreakers.state("localhost"));
        assertEquals(Disposition.RATE_LIMITED, open.disposition());
        assertEquals(0, open.status());
        PACT.verify(2, getRequestedFor(urlPathEqualTo("/api/p2/conversations/500")));
    }
}
