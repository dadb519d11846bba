package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.sync.reconcile.ReconciliationRepository;
import com.pactcrm.connector.widgetapi.InstallationSyncQueries.JournalEntry;
import com.pactcrm.connector.widgetapi.InstallationSyncQueries.Queue;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Header;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * {@code GET /api/v1/health} (CRM admins): this installation's tokens, webhooks and Pact channels as the
 * connector last saw them, its queues (depth and lag), the last sync, the p95 end-to-end latency, and the
 * dead letters and parked events an admin can retry.
 */
@Controller("/api/v1/health")
@ExecuteOn(TaskExecutors.BLOCKING)
class HealthController {

    record HealthView(boolean pactConnected, @Nullable Instant crmTokenExpiresAt, List<Component> components,
                      Queue journal, Queue outbox, @Nullable Instant lastSyncAt, @Nullable Long p95EndToEndMillis,
                      List<JournalEntry> deadLetters, @Nullable CatchUpView lastCatchUp) {
    }

    /** The installation's last catch-up of lost webhooks and events (issue 15): when, how it ended, what it recovered. */
    record CatchUpView(Instant at, String outcome, int recovered, long totalRecovered, @Nullable String detail) {
    }

    /** {@code group}: pact-token, pact-billing, pact-webhook, pact-channel, crm-token, crm-webhook, crm-account or other. */
    record Component(String component, String group, String state, boolean ok, @Nullable String detail,
                     @Nullable Instant updatedAt) {
    }

    private static final Set<String> OK_STATES = Set.of("OK", "ENABLED", "ACTIVE", "RE_ENABLED");

    private final WidgetAuth auth;
    private final InstallationHealthRepository health;
    private final InstallationSyncQueries queries;
    private final Clock clock;
    private final ReconciliationRepository reconciliations;

    HealthController(WidgetAuth auth, InstallationHealthRepository health, InstallationSyncQueries queries, Clock clock,
                     ReconciliationRepository reconciliations) {
        this.reconciliations = reconciliations;
        this.auth = auth;
        this.health = health;
        this.queries = queries;
        this.clock = clock;
    }

    @Get
    HealthView health(@Nullable @Header("Authorization") String authorization, @Nullable @Header("Origin") String origin) {
        Installation installation = auth.admin(authorization, origin).installation();
        Instant now = clock.instant();
        List<Component> components = health.findByInstallationId(installation.id()).stream()
                .map(h -> new Component(h.component(), group(h.component()), h.state(), OK_STATES.contains(h.state()),
                        h.detail(), h.updatedAt()))
                .toList();
        return new HealthView(installation.pactTokenEnc() != null, installation.tokenExpiresAt(), components,
                queries.journal(installation.id(), now), queries.outbox(installation.id(), now),
                queries.lastSync(installation.id()), queries.p95EndToEndMillis(installation.id(), now),
                queries.failures(installation.id()), reconciliations.find(installation.id())
                        .map(r -> new CatchUpView(r.lastRunAt(), r.lastOutcome(), r.lastRecovered(), r.totalRecovered(),
                                r.lastDetail())).orElse(null));
    }

    private static String group(String component) {
        if (component.startsWith("PACT_CHANNEL:")) {
            return "pact-channel";
        }
        return switch (component) {
            case "PACT_TOKEN" -> "pact-token";
            case "PACT_BILLING" -> "pact-billing";
            case "PACT_WEBHOOK" -> "pact-webhook";
            case "CRM_TOKEN", "AMOCRM_TOKEN" -> "crm-token";
            case "CRM_WEBHOOK" -> "crm-webhook";
            case "AMOCRM_ACCOUNT", "AMOCRM_BILLING" -> "crm-account";
            default -> "other";
        };
    }
}
