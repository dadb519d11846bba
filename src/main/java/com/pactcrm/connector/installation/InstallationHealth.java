package com.pactcrm.connector.installation;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** One health fact: {@code component} (PACT_TOKEN, PACT_BILLING, PACT_CHANNEL:&lt;auth id&gt;, ...) is in {@code state}. */
@MappedEntity("installation_health")
public record InstallationHealth(
        @Id Long installationId,
        String component,
        String state,
        @Nullable String detail,
        @Nullable Instant updatedAt) {
}
