package com.pactcrm.connector.amocrm.widget;

import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** A disposable token that opened a session, by the SHA-256 of its {@code jti}, kept until it expires. */
@MappedEntity("used_token_id")
record AmoCrmUsedToken(@Id String jtiHash, Instant expiresAt) {
}
