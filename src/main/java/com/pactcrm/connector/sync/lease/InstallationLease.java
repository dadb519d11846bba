package com.pactcrm.connector.sync.lease;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** Which replica dispatches and relays an installation's work, until when. */
@MappedEntity("installation_lease")
public record InstallationLease(
        @Id Long installationId,
        String owner,
        Instant leaseUntil,
        Instant acquiredAt,
        @Nullable Instant handoverAt,
        @Nullable Instant quietUntil,
        @Nullable Instant pactQuietUntil) {
}
