package com.pactcrm.connector.sync.outbox;

/** An admin fixed what made a target refuse an installation (retried a dead letter, reconnected): call it again. */
public record OutboxHoldLifted(long installationId) {
}
