package com.pactcrm.connector.bitrix24.gateway;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A timeline comment the connector wrote (see {@code V3__bitrix24.sql}). */
@MappedEntity("bitrix24_timeline_entry")
public record Bitrix24TimelineEntry(@Id Long installationId, String entryId, @Nullable Instant createdAt) {
}
