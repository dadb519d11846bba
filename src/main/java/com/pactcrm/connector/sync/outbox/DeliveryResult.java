package com.pactcrm.connector.sync.outbox;

import com.pactcrm.connector.sync.resilience.OutboundCallException;

/** What became of one command of a batch. */
public sealed interface DeliveryResult {

    /** Applied; {@code remoteId} is what the target created or changed (may be null). */
    record Delivered(String remoteId, String detail) implements DeliveryResult {
    }

    record Failed(OutboundCallException error) implements DeliveryResult {
    }

    static DeliveryResult delivered(String remoteId, String detail) {
        return new Delivered(remoteId, detail);
    }

    static DeliveryResult failed(OutboundCallException error) {
        return new Failed(error);
    }
}
