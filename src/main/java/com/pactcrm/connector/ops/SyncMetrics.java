package com.pactcrm.connector.ops;

import com.pactcrm.connector.installation.InstallationHealthRepository;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micronaut.context.annotation.Context;
import io.micronaut.scheduling.annotation.Scheduled;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queue gauges for Prometheus, refreshed on a schedule rather than on every scrape, so a busy
 * scraper never turns into database load. Created with the context, so the gauges exist from the
 * first scrape on.
 */
@Context
public class SyncMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(SyncMetrics.class);

    private final SyncBacklog backlog;
    private final InstallationHealthRepository health;
    private final MultiGauge unhealthy;
    private final AtomicLong journalPending = new AtomicLong();
    private final AtomicLong journalParked = new AtomicLong();
    private final AtomicLong journalLag = new AtomicLong();
    private final AtomicLong outboxPending = new AtomicLong();
    private final AtomicLong outboxDead = new AtomicLong();
    private final AtomicLong outboxLag = new AtomicLong();

    public SyncMetrics(SyncBacklog backlog, InstallationHealthRepository health, MeterRegistry meters) {
        this.backlog = backlog;
        this.health = health;
        Gauge.builder("connector.queue.depth", journalPending, AtomicLong::get).tag("queue", "inbound")
                .description("journaled events not yet processed").register(meters);
        Gauge.builder("connector.queue.depth", outboxPending, AtomicLong::get).tag("queue", "outbox")
                .description("outbound commands not yet delivered").register(meters);
        Gauge.builder("connector.queue.lag.seconds", journalLag, AtomicLong::get).tag("queue", "inbound").register(meters);
        Gauge.builder("connector.queue.lag.seconds", outboxLag, AtomicLong::get).tag("queue", "outbox").register(meters);
        Gauge.builder("connector.inbound.parked", journalParked, AtomicLong::get).register(meters);
        Gauge.builder("connector.outbox.dead", outboxDead, AtomicLong::get).register(meters);
        unhealthy = MultiGauge.builder("connector.installations.unhealthy")
                .description("installations with a component (AMOCRM_ACCOUNT, CRM_TOKEN, PACT_BILLING, ...) in a state other than OK")
                .register(meters);
    }

    @Scheduled(fixedDelay = "${connector.metrics.refresh:15s}", initialDelay = "5s")
    void refresh() {
        try {
            SyncBacklog.Snapshot s = backlog.read();
            journalPending.set(s.journalPending());
            journalParked.set(s.journalParked());
            journalLag.set(s.journalLag().toSeconds());
            outboxPending.set(s.outboxPending());
            outboxDead.set(s.outboxDead());
            outboxLag.set(s.outboxLag().toSeconds());
            // Overwrite: a state no installation is in any more leaves the scrape instead of staying at its last count.
            unhealthy.register(health.unhealthyByComponent().stream()
                    .map(u -> MultiGauge.Row.of(Tags.of("component", u.component(), "state", u.state()), u.installations()))
                    .toList(), true);
        } catch (RuntimeException e) {
            LOG.warn("event=metrics_refresh_failed error=\"{}\"", e.toString());
        }
    }
}
