package com.pactcrm.connector.sync.inbound;

import com.pactcrm.connector.sync.EventSource;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** One accepted webhook, kept raw until it has been processed. */
@MappedEntity("inbound_event")
public record InboundEvent(
        @Id Long id,
        long installationId,
        EventSource source,
        String dedupeKey,
        @Nullable String contentType,
        @Nullable String headers,
        byte[] body,
        InboundEventState state,
        int attempts,
        Instant nextAttemptAt,
        @Nullable String leaseOwner,
        @Nullable Instant leaseUntil,
        @Nullable String lastError,
        @Nullable String outcome,
        Instant receivedAt,
        @Nullable Instant processedAt) {
}
