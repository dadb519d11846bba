package com.pactcrm.connector.sync.reconcile;

import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.lease.InstallationLeases;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic catch-up (issue 15): Pact retries a webhook for 5 minutes and Bitrix24 never retries, so an outage of
 * the connector or of the network would lose events for good. Every {@code connector.reconciliation.every} the replica
 * holding an installation's lease runs each {@link CatchUp} that applies to it, one installation after another, each
 * source within its own rate limits. A run looks at what changed since the previous complete run covered (the first
 * run: since the installation's last Pact event, or {@code first-window} back), less {@code overlap} for clocks and
 * in-flight webhooks. The health page shows the last run and what it recovered ({@code reconciliation} table).
 */
@Singleton
public class ReconciliationJob {

    private static final Logger LOG = LoggerFactory.getLogger(ReconciliationJob.class);

    private final List<CatchUp> catchUps;
    private final ReconciliationRepository runs;
    private final InstallationRepository installations;
    private final InstallationLeases leases;
    private final Clock clock;
    private final boolean enabled;
    private final Duration overlap;
    private final Duration firstWindow;

    public ReconciliationJob(List<CatchUp> catchUps, ReconciliationRepository runs, InstallationRepository installations,
                             InstallationLeases leases, Clock clock,
                             @Value("${connector.reconciliation.enabled:true}") boolean enabled,
                             @Value("${connector.reconciliation.overlap:2m}") Duration overlap,
                             @Value("${connector.reconciliation.first-window:1h}") Duration firstWindow) {
        this.catchUps = catchUps;
        this.runs = runs;
        this.installations = installations;
        this.leases = leases;
        this.clock = clock;
        this.enabled = enabled;
        this.overlap = overlap;
        this.firstWindow = firstWindow;
    }

    @Scheduled(fixedDelay = "${connector.reconciliation.every:5m}", initialDelay = "${connector.reconciliation.initial-delay:1m}")
    void scheduled() {
        if (!enabled) {
            return;
        }
        for (CrmKind crm : CrmKind.values()) {
            for (Installation installation : installations.findByCrmAndStatus(crm, InstallationStatus.ACTIVE)) {
                if (!leases.holds(installation.id())) {
                    continue;
                }
                try {
                    run(installation);
                } catch (RuntimeException e) {
                    LOG.error("event=reconciliation_failed installationId={} error=\"{}\"", installation.id(), e.toString(), e);
                    runs.record(installation.id(), clock.instant(), "FAILED", 0, e.getMessage(), null);
                }
            }
        }
    }

    /** One installation's catch-up, now. */
    public Reconciliation run(Installation installation) {
        Instant started = clock.instant();
        Optional<Reconciliation> previous = runs.find(installation.id());
        // After a partial run its sources said exactly where they stopped; otherwise clocks and webhooks in flight at the
        // previous start need the overlap.
        Instant since = previous.filter(p -> "PARTIAL".equals(p.lastOutcome()) && p.coveredUntil() != null)
                .map(Reconciliation::coveredUntil)
                .orElseGet(() -> previous.map(Reconciliation::coveredUntil)
                        .or(() -> runs.lastEventAt(installation.id(), EventSource.PACT.name()))
                        .orElse(started.minus(firstWindow)).minus(overlap));
        int recovered = 0;
        Instant covered = started;
        boolean complete = true;
        List<String> details = new ArrayList<>();
        for (CatchUp catchUp : catchUps) {
            if (catchUp.appliesTo(installation)) {
                CatchUp.Result r = catchUp.run(installation, since);
                recovered += r.recovered();
                if (!r.complete()) {
                    complete = false;
                    // The next run starts where the least advanced source stopped (never before this run's start).
                    Instant until = r.coveredUntil() == null ? since : r.coveredUntil();
                    covered = until.isBefore(covered) ? until : covered;
                }
                details.add(r.detail() + " (" + r.recovered() + " recovered)");
            }
        }
        String outcome = complete ? "OK" : "PARTIAL";
        runs.record(installation.id(), started, outcome, recovered, String.join("; ", details), covered);
        LOG.info("event=reconciliation_run installationId={} outcome={} recovered={} detail=\"{}\"", installation.id(),
                outcome, recovered, String.join("; ", details));
        return runs.find(installation.id()).orElseThrow();
    }
}
