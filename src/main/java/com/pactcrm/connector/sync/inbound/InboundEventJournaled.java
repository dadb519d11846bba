package com.pactcrm.connector.sync.inbound;

/** Published after a receiver stored a new event, so the dispatcher starts at once instead of at its next poll. */
public record InboundEventJournaled(long installationId) {
}
