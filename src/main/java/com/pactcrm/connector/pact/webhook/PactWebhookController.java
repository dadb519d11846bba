package com.pactcrm.connector.pact.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.inbound.InboundEventJournaled;
import com.pactcrm.connector.sync.inbound.InboundJournal;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.PathVariable;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
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

    private final PactHookKeys hookKeys;
    private final InstallationHealthRepository health;
    private final InboundJournal journal;
    private final ApplicationEventPublisher<InboundEventJournaled> journaled;
    private final MeterRegistry meters;

    PactWebhookController(PactHookKeys hookKeys, InstallationHealthRepository health,
                          InboundJournal journal, ApplicationEventPublisher<InboundEventJournaled> journaled,
                          MeterRegistry meters) {
        this.hookKeys = hookKeys;
        this.health = health;
        this.journal = journal;
        this.journaled = journaled;
        this.meters = meters;
    }

    @Post(uri = "/{hookKey}", consumes = MediaType.ALL, produces = MediaType.APPLICATION_JSON)
    Map<String, String> receive(@PathVariable String hookKey, @Body byte[] body, HttpHeaders headers) {
        long start = System.nanoTime();
        long installationId = hookKeys.activeInstallation(hookKey).orElseThrow(() -> {
            count("unknown_hook");
            return ProblemException.notFound();
        });
        MDC.put("installationId", Long.toString(installationId));
        try {
            JsonNode root = parseOrReject(body);
            if (PactWebhookTranslator.isHandshake(root)) {
                health.record(installationId, "PACT_WEBHOOK", "OK", "handshake received");
                LOG.info("event=pact_webhook_handshake");
                count("handshake");
                return Map.of("status", "ok");
            }
            if (!PactWebhookTranslator.isEnvelope(root)) {
                count("rejected");
                throw ProblemException.badRequest("not a Pact v2 webhook envelope: type, event and object are required");
            }
            boolean stored = journal.append(installationId, EventSource.PACT, sha256(body),
                    headers.getContentType().orElse(null), headersOf(headers), body);
            if (stored) {
                journaled.publishEvent(new InboundEventJournaled(installationId));
            }
            count(stored ? "accepted" : "duplicate");
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
            throw ProblemException.badRequest(e.getMessage());
        }
    }

    private void count(String outcome) {
        meters.counter("connector.inbound.received", "source", "pact", "outcome", outcome).increment();
    }

    /**
     * Pact gives no event id, so the body is the identity: a retry repeats it byte for byte, while
     * a real change (a new status) changes it.
     */
    static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String headersOf(HttpHeaders headers) {
        StringBuilder kept = new StringBuilder();
        for (String name : new String[] {"Content-Type", "User-Agent", "X-Forwarded-For", "X-Request-Id"}) {
            headers.getFirst(name).ifPresent(v -> kept.append(name).append(": ").append(v).append('\n'));
        }
        return kept.toString();
    }
}
