package com.pactcrm.connector.sync.inbound;

import com.pactcrm.connector.security.Hashes;
import com.pactcrm.connector.sync.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.http.HttpHeaders;
import jakarta.inject.Singleton;
import java.util.Locale;

/**
 * What every webhook receiver does once it has authenticated a call: journal the raw body under a
 * dedupe key, count it, and wake the dispatcher. Nothing else runs on the sender's clock.
 */
@Singleton
public class WebhookIntake {

    private static final String[] KEPT_HEADERS = {"Content-Type", "User-Agent", "X-Forwarded-For", "X-Request-Id"};

    private final InboundJournal journal;
    private final ApplicationEventPublisher<InboundEventJournaled> journaled;
    private final MeterRegistry meters;

    public WebhookIntake(InboundJournal journal, ApplicationEventPublisher<InboundEventJournaled> journaled,
                         MeterRegistry meters) {
        this.journal = journal;
        this.journaled = journaled;
        this.meters = meters;
    }

    /**
     * Journals the body with the SHA-256 of its bytes as dedupe key: neither Pact nor amoCRM sends an
     * event id, a retry repeats the body byte for byte, and a real change changes it.
     *
     * @return true when stored, false for a duplicate (acknowledged all the same)
     */
    public boolean accept(long installationId, EventSource source, byte[] body, HttpHeaders headers) {
        boolean stored = journal.append(installationId, source, Hashes.sha256Hex(body), headers.getContentType().orElse(null),
                headersOf(headers), body);
        if (stored) {
            journaled.publishEvent(new InboundEventJournaled(installationId));
        }
        count(source, stored ? "accepted" : "duplicate");
        return stored;
    }

    /**
     * Journals an event a catch-up fetched back from the source because its webhook never came (issue 15), keyed like
     * a webhook by the SHA-256 of its bytes, so the same catch-up twice is one event; counted with outcome
     * {@code recovered} (or {@code duplicate}).
     *
     * @param origin what fetched it, kept as a header of the journal row
     */
    public boolean acceptRecovered(long installationId, EventSource source, byte[] body, String contentType, String origin) {
        boolean stored = journal.append(installationId, source, Hashes.sha256Hex(body), contentType,
                "X-Connector-Catch-Up: " + origin + "\n", body);
        if (stored) {
            journaled.publishEvent(new InboundEventJournaled(installationId));
        }
        count(source, stored ? "recovered" : "duplicate");
        return stored;
    }

    /** Counts a call that was not journaled (unknown hook key, rejected body, handshake). */
    public void count(EventSource source, String outcome) {
        meters.counter("connector.inbound.received", "source", source.name().toLowerCase(Locale.ROOT), "outcome", outcome)
                .increment();
    }

    private static String headersOf(HttpHeaders headers) {
        StringBuilder kept = new StringBuilder();
        for (String name : KEPT_HEADERS) {
            headers.getFirst(name).ifPresent(v -> kept.append(name).append(": ").append(v).append('\n'));
        }
        return kept.toString();
    }
}
