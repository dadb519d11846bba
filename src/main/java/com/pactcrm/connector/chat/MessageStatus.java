package com.pactcrm.connector.chat;

import java.util.Locale;
import java.util.Optional;

/**
 * A Pact message's status with the meaning of Pact's icons (the "Messages" help page): a clock
 * while the messenger has not accepted it, one tick when delivered, two ticks when read.
 * {@code rank} orders them so that a late webhook never moves a message backwards.
 */
public enum MessageStatus {
    /** An incoming message (Pact sends one create with status "created"). */
    CREATED(0, "incoming"),
    /** Queued in Pact, not yet accepted by the messenger. */
    SENT(1, "clock"),
    DELIVERED(2, "one tick"),
    READ(3, "two ticks"),
    ERROR(4, "error");

    private final int rank;
    private final String icon;

    MessageStatus(int rank, String icon) {
        this.rank = rank;
        this.icon = icon;
    }

    public String icon() {
        return icon;
    }

    /**
     * Whether a message now in {@code this} status moves to {@code next}: only forwards; an error
     * is kept (it carries the reason) unless the message was already read, which proves it arrived.
     */
    public boolean canAdvanceTo(MessageStatus next) {
        if (this == ERROR) {
            return false;
        }
        if (next == ERROR) {
            return this != READ;
        }
        return next.rank > rank;
    }

    /** Pact's status string; empty for a value Pact has not documented. */
    public static Optional<MessageStatus> fromPact(String status) {
        if (status == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(status.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
