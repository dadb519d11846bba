package com.pactcrm.connector.sync.outbox;

/** Published when a command was queued (and committed), so the relay starts at once instead of at its next poll. */
public record OutboxCommandQueued(long installationId, CommandKind.Target target) {
}
