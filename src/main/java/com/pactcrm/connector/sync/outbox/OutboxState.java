package com.pactcrm.connector.sync.outbox;

/** PENDING → IN_FLIGHT → DONE; failures go back to PENDING, then DEAD; SUPERSEDED when a newer command replaced it. */
public enum OutboxState {
    PENDING,
    IN_FLIGHT,
    DONE,
    DEAD,
    SUPERSEDED
}
