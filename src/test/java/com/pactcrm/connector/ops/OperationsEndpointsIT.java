package com.pactcrm.connector.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.TestInstallations;
import io.micronaut.context.annotation.Property;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

@MicronautTest(transactional = false)
@Property(name = "connector.ops.token", value = OperationsEndpointsIT.OPS_TOKEN)
class OperationsEndpointsIT {

    static final String OPS_TOKEN = "ops-3f9c1a7e5b2d4c6e8a0b";

    @Inject
    EmbeddedServer server;
    @Inject
    TestInstallations installations;

    @Test
    void healthReportsDatabaseAndSyncQueues() {
        HttpResponse<String> anyone = Http.get(server.getURL() + "/health");
        assertEquals(200, anyone.statusCode());
        assertTrue(anyone.body().contains("\"status\":\"UP\""), anyone.body());
        assertFalse(anyone.body().contains("jdbc") || anyone.body().contains("deadLetters") || anyone.body().contains("disk"),
                "details only for the operator: " + anyone.body());
        assertFalse(Http.get(server.getURL() + "/health", "Bearer not-the-token").body().contains("jdbc"));
        HttpResponse<String> health = Http.get(server.getURL() + "/health", "Bearer " + OPS_TOKEN);
        assertEquals(200, health.statusCode());
        assertTrue(health.body().contains("\"status\":\"UP\""), health.body());
        assertTrue(health.body().contains("\"jdbc\""), health.body());
        assertTrue(health.body().contains("\"journalLagSeconds\""), health.body());
        assertTrue(health.body().contains("\"deadLetters\""), health.body());
        assertEquals(200, Http.get(server.getURL() + "/health/liveness").statusCode());
        assertEquals(200, Http.get(server.getURL() + "/health/readiness").statusCode());
    }

    @Test
    void prometheusExposesIngestOutboundAndQueueMetrics() {
        Installation installation = installations.amoCrm(null);
        Http.postJson(server.getURL() + "/pact/webhooks/" + installation.pactHookKey(), PactWebhooks.fixture("message-update-read"));
        HttpResponse<String> scrape = Http.get(server.getURL() + "/prometheus");
        assertEquals(200, scrape.statusCode());
        assertTrue(scrape.body().contains("connector_inbound_received_total{outcome=\"accepted\",source=\"pact\"}"), scrape.body());
        assertTrue(scrape.body().contains("connector_inbound_ack_latency_seconds_count{source=\"pact\"}"));
        assertTrue(scrape.body().contains("connector_queue_depth{queue=\"inbound\"}"));
        assertTrue(scrape.body().contains("connector_queue_depth{queue=\"outbox\"}"));
    }

    @Test
    void unknownRoutesAnswerProblemJson() {
        HttpResponse<String> response = Http.get(server.getURL() + "/no/such/page");
        assertEquals(404, response.statusCode());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        assertTrue(response.body().contains("\"status\":404"), response.body());
    }
}
