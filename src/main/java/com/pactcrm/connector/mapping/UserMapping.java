package com.pactcrm.connector.mapping;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.GeneratedValue;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A CRM user and the Pact operator who stands for them ({@code source}: AUTO, MANUAL). */
@MappedEntity("user_mapping")
public record UserMapping(
        @Id @GeneratedValue @Nullable Long id,
        long installationId,
        String crmUserId,
        @Nullable String crmUserName,
        @Nullable Long pactUserId,
        @Nullable String pactUserName,
        String source,
        @Nullable Instant updatedAt) {
}
