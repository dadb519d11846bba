package com.pactcrm.connector.chat;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A Pact operator seen on an outgoing message of an installation. */
@MappedEntity("pact_operator")
public record PactOperator(@Id Long installationId, long pactUserId, @Nullable String name, @Nullable Instant lastSeenAt) {
}
