package com.pactcrm.connector.sync.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.sync.outbox.CommandKind.Target;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * One call to make to Pact or a CRM. {@code remoteId} keeps what the call created (a Pact message
 * id, a CRM note id) so a retry never creates it twice; {@code ambiguous} marks that the previous
 * attempt may have been applied (it timed out after sending).
 */
@MappedEntity("outbox_command")
public record OutboxCommand(
        @Id Long id,
        long installationId,
        Target target,
        CommandKind kind,
        String idempotencyKey,
        @Nullable String coalesceKey,
        String payload,
        OutboxState state,
        int attempts,
        Instant nextAttemptAt,
        @Nullable String leaseOwner,
        @Nullable Instant leaseUntil,
        @Nullable String lastError,
        @Nullable String remoteId,
        @Nullable Instant firstSentAt,
        boolean ambiguous,
        @Nullable Long sourceEventId,
        Instant originAt,
        @Nullable Instant createdAt,
        @Nullable Instant doneAt) {

    /** The same command, marked as possibly written already. */
    public OutboxCommand asAmbiguous() {
        return new OutboxCommand(id, installationId, target, kind, idempotencyKey, coalesceKey, payload, state, attempts,
                nextAttemptAt, leaseOwner, leaseUntil, lastError, remoteId, firstSentAt, true, sourceEventId, originAt,
                createdAt, doneAt);
    }

    /** The payload as the record it was queued from. */
    public <T> T payloadAs(ObjectMapper json, Class<T> type) {
        try {
            return json.readValue(payload, type);
        } catch (IOException e) {
            throw new UncheckedIOException("payload of command " + id + " is not a " + type.getSimpleName(), e);
        }
    }
}
