package com.pactcrm.connector.sync.journal;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

@MappedEntity("sync_log")
public record SyncLogEntry(
        @Id Long id,
        long installationId,
        Instant at,
        String kind,
        @Nullable Long inboundEventId,
        @Nullable Long outboxCommandId,
        @Nullable Long pactConversationId,
        @Nullable String phone,
        String outcome,
        @Nullable String detail) {
}
