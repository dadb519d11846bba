package com.pactcrm.connector.ops;

import com.pactcrm.connector.sync.reconcile.ReconciliationRepository;
import io.micronaut.context.annotation.Value;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code /health} "sync": journal and outbox depth and lag, parked events and dead letters. A queue
 * whose oldest item waits longer than {@code connector.health.max-lag} makes the status UNKNOWN
 * (processing is stalled or far behind) without taking the replica out of service.
 */
@Singleton
public class SyncHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

    private final SyncBacklog backlog;
    private final Duration maxLag;
    private final ReconciliationRepository reconciliations;

    public SyncHealthIndicator(SyncBacklog backlog, @Value("${connector.health.max-lag:10m}") Duration maxLag,
                               ReconciliationRepository reconciliations) {
        this.backlog = backlog;
        this.reconciliations = reconciliations;
        this.maxLag = maxLag;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        SyncBacklog.Snapshot s = backlog.read();
        boolean behind = s.journalLag().compareTo(maxLag) > 0 || s.outboxLag().compareTo(maxLag) > 0;
        healthStatus = behind ? HealthStatus.UNKNOWN : HealthStatus.UP;
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("journalPending", s.journalPending());
        details.put("journalLagSeconds", s.journalLag().toSeconds());
        details.put("journalParked", s.journalParked());
        details.put("outboxPending", s.outboxPending());
        details.put("outboxLagSeconds", s.outboxLag().toSeconds());
        details.put("deadLetters", s.outboxDead());
        details.put("unhealthyInstallationComponents", s.unhealthyComponents());
        // The catch-up of lost webhooks (issue 15): the newest run of any installation, and all it ever recovered.
        reconciliations.latest().ifPresent(r -> {
            details.put("lastCatchUpAt", r.lastRunAt().toString());
            details.put("lastCatchUpOutcome", r.lastOutcome());
            details.put("lastCatchUpRecovered", r.lastRecovered());
        });
        details.put("catchUpRecoveredTotal", reconciliations.totalRecovered());
        return details;
    }

    @Override
    protected String getName() {
        return "sync";
    }
}
