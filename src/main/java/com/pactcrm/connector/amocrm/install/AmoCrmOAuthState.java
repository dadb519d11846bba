package com.pactcrm.connector.amocrm.install;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A {@code state} the connector issued for the amoCRM button flow, by its SHA-256. */
@MappedEntity("amocrm_oauth_state")
record AmoCrmOAuthState(@Id String stateHash, Instant createdAt, @Nullable Instant consumedAt) {
}
