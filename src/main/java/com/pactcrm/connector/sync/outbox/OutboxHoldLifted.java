package com.pactcrm.connector.sync.outbox;

import io.micronaut.core.annotation.Nullable;

/**
 * An admin fixed what made a target refuse an installation (retried a dead letter, reconnected): call
 * it again. {@code target} null lifts the holds of every target.
 */
public record OutboxHoldLifted(long installationId, @Nullable CommandKind.Target target) {
}
