package com.pactcrm.connector.sync.outbox;

/** Published when a command was queued, so the relay starts at once instead of at its next poll. */
public record OutboxCommandQueued(long installationId) {
}
