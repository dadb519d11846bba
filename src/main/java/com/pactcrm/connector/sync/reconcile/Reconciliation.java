package com.pactcrm.connector.sync.reconcile;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** An installation's last catch-up: when, how it ended (OK, PARTIAL, FAILED), what it recovered. */
@MappedEntity("reconciliation")
public record Reconciliation(@Id long installationId, Instant lastRunAt, String lastOutcome, int lastRecovered,
                             long totalRecovered, @Nullable String lastDetail,
                             @Nullable Instant coveredUntil) {
}
