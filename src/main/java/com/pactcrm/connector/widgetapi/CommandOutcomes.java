package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.sync.outbox.OutboxCommand;
import com.pactcrm.connector.sync.outbox.OutboxRepository;
import com.pactcrm.connector.sync.outbox.OutboxState;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;

/**
 * A message the card queued (write first, reply) goes out through the outbox; the card's call waits a few seconds
 * ({@code connector.chats.wait}) for Pact's answer, so the manager sees it sent, and otherwise says it is queued.
 */
@Singleton
class CommandOutcomes {

    /** {@code state} DONE (remoteId = Pact's message id), DEAD (lastError says why), or still on its way. */
    record Outcome(OutboxState state, String remoteId, String lastError) {
    }

    private final OutboxRepository commands;
    private final Duration wait;

    CommandOutcomes(OutboxRepository commands, @Value("${connector.chats.wait:8s}") Duration wait) {
        this.commands = commands;
        this.wait = wait;
    }

    /** Whether a command with this key was queued already (a repeated requestId gets the first one's answer). */
    boolean queued(long installationId, String idempotencyKey) {
        return commands.findByIdempotencyKey(installationId, idempotencyKey).isPresent();
    }

    Outcome await(long installationId, String idempotencyKey) {
        Instant deadline = Instant.now().plus(wait);
        while (true) {
            OutboxCommand c = commands.findByIdempotencyKey(installationId, idempotencyKey).orElseThrow();
            if (c.state() == OutboxState.DONE || c.state() == OutboxState.DEAD || Instant.now().isAfter(deadline)) {
                return new Outcome(c.state(), c.remoteId(), c.lastError());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** What the manager reads in the card when Pact refused the message. */
    static String plainReason(String error) {
        if (error == null) {
            return "Pact refused the message";
        }
        if (error.startsWith("PAYMENT_REQUIRED")) {
            return "the Pact company's plan is unpaid";
        }
        if (error.startsWith("UNAUTHORIZED") || error.startsWith("NOT_CONNECTED")) {
            return "Pact is not connected: an admin must enter the Pact API token in the settings";
        }
        if (error.startsWith("FORBIDDEN")) {
            return "the Pact plan does not allow writing first on this channel";
        }
        return "Pact did not accept the message; the sync journal has the details";
    }
}
