package com.pactcrm.connector.sync.lease;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** One start of a replica, as it announced itself: {@code seenUntil} is its last heartbeat plus the lease ttl. */
@MappedEntity("replica")
public record Replica(@Id String owner, @Nullable String name, Instant seenUntil, Instant startedAt) {
}
