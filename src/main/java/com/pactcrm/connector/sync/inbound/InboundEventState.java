package com.pactcrm.connector.sync.inbound;

/** NEW → PROCESSING → DONE; a failure goes back to NEW with a delay, and after the last attempt to PARKED. */
public enum InboundEventState {
    NEW,
    PROCESSING,
    DONE,
    PARKED
}
