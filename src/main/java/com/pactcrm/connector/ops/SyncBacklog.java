package com.pactcrm.connector.ops;

import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.sync.inbound.InboundEventRepository;
import com.pactcrm.connector.sync.outbox.OutboxRepository;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** Reads the size and age of the sync queues: what health and metrics report. */
@Singleton
public class SyncBacklog {

    /** One reading of the queues. Lags are the age of the oldest waiting item, zero when none waits. */
    public record Snapshot(long journalPending, long journalParked, Duration journalLag, long outboxPending,
                           long outboxDead, Duration outboxLag, long unhealthyComponents) {
    }

    private final InboundEventRepository events;
    private final OutboxRepository commands;
    private final InstallationHealthRepository health;
    private final Clock clock;

    public SyncBacklog(InboundEventRepository events, OutboxRepository commands, InstallationHealthRepository health,
                       Clock clock) {
        this.events = events;
        this.commands = commands;
        this.health = health;
        this.clock = clock;
    }

    public Snapshot read() {
        Instant now = clock.instant();
        return new Snapshot(
                events.countPending(),
                events.countParked(),
                events.oldestPendingReceivedAt().map(t -> Duration.between(t, now)).orElse(Duration.ZERO),
                commands.countPending(),
                commands.countDead(),
                commands.oldestPendingOriginAt().map(t -> Duration.between(t, now)).orElse(Duration.ZERO),
                health.countUnhealthy());
    }
}
