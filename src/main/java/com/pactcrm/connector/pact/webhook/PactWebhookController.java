package com.pactcrm.connector.pact.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.installation.InstallationHookKeys;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import com.pactcrm.connector.sync.inbound.WebhookIntake;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Pact company webhooks. Pact signs nothing (pact-api.md §3.1), so the unguessable key in the path
 * authenticates the call; an unknown key gets a bare 404. Nothing but journaling runs here: Pact
 * retries a non-200 only 5 times, 60 s apart, and then drops the event.
 */
@Controller("/pact/webhooks")
@ExecuteOn(TaskExecutors.BLOCKING)
class PactWebhookController {

    private static final Logger LOG = LoggerFactory.getLogger(PactWebhookController.class);

    private final InstallationHookKeys hookKeys;
    private final InstallationHealthRepository health;
    private final WebhookIntake intake;
    private final MeterRegistry meters;

    PactWebhookController(InstallationHookKeys hookKeys, InstallationHealthRepository health, WebhookIntake intake,
                          MeterRegistry meters) {
        this.hookKeys = hookKeys;
        this.health = health;
        this.intake = intake;
        this.meters = meters;
    }

    @Post(uri = "/{hookKey}", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    Map<String, String> receive(@PathVariable String hookKey, @Body byte[] body, HttpHeaders headers) {
        long start = System.nanoTime();
        long installationId = hookKeys.byPactHookKey(hookKey).orElseThrow(() -> {
            intake.count(EventSource.PACT, "unknown_hook");
            return ProblemException.notFound();
        }).id();
        MDC.put("installationId", Long.toString(installationId));
        try {
            JsonNode root = parseOrReject(body);
            if (PactWebhookTranslator.isHandshake(root)) {
                health.record(installationId, "PACT_WEBHOOK", "OK", "handshake received");
                LOG.info("event=pact_webhook_handshake");
                intake.count(EventSource.PACT, "handshake");
                return Map.of("status", "ok");
            }
            if (!PactWebhookTranslator.isEnvelope(root)) {
                intake.count(EventSource.PACT, "rejected");
                throw ProblemException.badRequest("not a Pact v2 webhook envelope: type, event and object are required");
            }
            boolean stored = intake.accept(installationId, EventSource.PACT, body, headers);
            return Map.of("status", stored ? "accepted" : "duplicate");
        } finally {
            meters.timer("connector.inbound.ack.latency", "source", "pact").record(Duration.ofNanos(System.nanoTime() - start));
            MDC.remove("installationId");
        }
    }

    private static JsonNode parseOrReject(byte[] body) {
        try {
            return PactWebhookTranslator.parse(body);
        } catch (UnprocessableEventException e) {
            // The parser's own message quotes its settings and positions: the caller gets the gist, the log the rest.
            LOG.info("event=pact_webhook_unreadable detail=\"{}\"", e.getMessage());
            throw ProblemException.badRequest("the body is not JSON: a Pact webhook is a JSON object");
        }
    }
}
