package com.pactcrm.connector.sync.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.transaction.TransactionOperations;
import io.micronaut.transaction.support.TransactionSynchronization;
import jakarta.inject.Singleton;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Clock;
import java.time.Instant;

/**
 * Queues outbound commands. Called inside a use-case's transaction, so the command exists if and
 * only if the state change that caused it was committed.
 */
@Singleton
public class Outbox {

    /** {@code outbox_command.payload} is a MySQL TEXT. */
    static final int MAX_PAYLOAD_BYTES = 65_535;

    private final OutboxRepository commands;
    private final ObjectMapper json;
    private final Clock clock;
    private final TransactionOperations<Connection> transactions;
    private final ApplicationEventPublisher<OutboxCommandQueued> queued;
    private final ApplicationEventPublisher<OutboxHoldLifted> holdLifted;

    public Outbox(OutboxRepository commands, ObjectMapper json, Clock clock, TransactionOperations<Connection> transactions,
                  ApplicationEventPublisher<OutboxCommandQueued> queued,
                  ApplicationEventPublisher<OutboxHoldLifted> holdLifted) {
        this.commands = commands;
        this.json = json;
        this.clock = clock;
        this.transactions = transactions;
        this.queued = queued;
        this.holdLifted = holdLifted;
    }

    /**
     * @param idempotencyKey the same key twice queues one command
     * @param coalesceKey    when set, a command with this key still waiting takes this payload instead
     *                       (the latest status of a message wins)
     * @param originAt       when the fact behind the command happened (for end-to-end latency)
     * @return true when a command was queued or updated, false for a duplicate
     */
    public boolean enqueue(long installationId, CommandKind kind, String idempotencyKey, String coalesceKey,
                           Object payload, Long sourceEventId, Instant originAt) {
        return enqueue(installationId, kind, idempotencyKey, coalesceKey, true, payload, sourceEventId, originAt);
    }

    /**
     * As {@link #enqueue}, for the first command of its coalesce key (the first status of a message just seen):
     * nothing can be waiting to take its payload, so no statement looks for it.
     */
    public boolean enqueueFirst(long installationId, CommandKind kind, String idempotencyKey, String coalesceKey,
                                Object payload, Long sourceEventId, Instant originAt) {
        return enqueue(installationId, kind, idempotencyKey, coalesceKey, false, payload, sourceEventId, originAt);
    }

    private boolean enqueue(long installationId, CommandKind kind, String idempotencyKey, String coalesceKey,
                            boolean mayCoalesce, Object payload, Long sourceEventId, Instant originAt) {
        String body = toJson(payload);
        if (body.getBytes(StandardCharsets.UTF_8).length > MAX_PAYLOAD_BYTES) {
            // The payload column is a TEXT (64 KB): MySQL would cut it and the command would fail later, unreadable.
            throw new IllegalArgumentException(kind + " payload of " + body.length() + " characters is over 64 KB");
        }
        boolean changed;
        if (coalesceKey != null && mayCoalesce && commands.findNewestPending(installationId, coalesceKey)
                .filter(id -> commands.coalesceInto(id, idempotencyKey, body, sourceEventId) > 0).isPresent()) {
            changed = true;
        } else {
            changed = commands.insertIgnore(installationId, kind.target().name(), kind.name(), idempotencyKey,
                    coalesceKey, body, clock.instant(), sourceEventId, originAt == null ? clock.instant() : originAt) == 1;
        }
        if (changed) {
            announce(new OutboxCommandQueued(installationId, kind.target()));
        }
        return changed;
    }

    /**
     * Tells the relay once the command can be seen: after the caller's transaction commits (woken before, the
     * relay would look, find nothing yet and sleep until its next poll), or at once outside a transaction.
     */
    private void announce(OutboxCommandQueued event) {
        transactions.findTransactionStatus().ifPresentOrElse(
                status -> status.registerSynchronization(new TransactionSynchronization() {
                    @Override
                    public void afterCommit() {
                        queued.publishEvent(event);
                    }
                }),
                () -> queued.publishEvent(event));
    }

    /**
     * An admin's "retry" on a dead letter: it starts its ladder again, and a hold on the
     * installation's targets is lifted (the admin says the cause is fixed).
     */
    public boolean retryDead(long installationId, long commandId) {
        boolean retried = commands.retryDead(commandId, installationId, clock.instant()) == 1;
        if (retried) {
            liftHold(installationId);
        }
        return retried;
    }

    /**
     * The cause of a hold is fixed (e.g. Pact reconnected): held commands are due again, and so are the
     * dead letters {@code target} refused for credentials or billing.
     */
    public void liftHold(long installationId, CommandKind.Target target) {
        commands.retryDeadForCredentials(installationId, target.name(), clock.instant());
        commands.releaseHeld(installationId, target.name(), clock.instant());
        holdLifted.publishEvent(new OutboxHoldLifted(installationId, target));
    }

    /** An admin says what made the targets refuse this installation is fixed: held commands are due again. */
    public void liftHold(long installationId) {
        commands.releaseHeld(installationId, null, clock.instant());
        holdLifted.publishEvent(new OutboxHoldLifted(installationId, null));
    }

    private String toJson(Object payload) {
        try {
            return json.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Outbox payload cannot be written as JSON", e);
        }
    }
}
