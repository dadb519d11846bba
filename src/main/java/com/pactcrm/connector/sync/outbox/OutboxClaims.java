package com.pactcrm.connector.sync.outbox;

import com.pactcrm.connector.sync.lease.InstallationLeases;
import io.micronaut.context.annotation.Value;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The relay's short transactions: claim, coalesce, reap. */
@Singleton
public class OutboxClaims {

    private final OutboxRepository commands;
    private final InstallationLeases leases;
    private final Clock clock;
    private final Duration lease;

    public OutboxClaims(OutboxRepository commands, InstallationLeases leases, Clock clock,
                        @Value("${connector.relay.lease:300s}") Duration lease) {
        this.commands = commands;
        this.leases = leases;
        this.clock = clock;
        this.lease = lease;
    }

    /**
     * Claims due commands for {@code owner}. Among claimed commands with the same coalesce key only
     * the newest is kept; the older ones are marked SUPERSEDED (the latest status of a message wins).
     */
    @Transactional
    public List<OutboxCommand> claim(String owner, int limit) {
        Instant now = clock.instant();
        List<Long> ids = commands.lockClaimable(now, limit, leases.enabled(), owner);
        if (ids.isEmpty()) {
            return List.of();
        }
        commands.markInFlight(ids, owner, now.plus(lease));
        List<OutboxCommand> claimed = commands.findByIds(ids);
        Map<String, OutboxCommand> newestByKey = new HashMap<>();
        List<Long> superseded = new ArrayList<>();
        List<OutboxCommand> kept = new ArrayList<>();
        for (OutboxCommand c : claimed) {
            if (c.coalesceKey() == null) {
                continue;
            }
            String key = c.installationId() + "|" + c.coalesceKey();
            OutboxCommand previous = newestByKey.put(key, c);
            if (previous != null) {
                superseded.add(previous.id());
            }
        }
        for (OutboxCommand c : claimed) {
            if (!superseded.contains(c.id())) {
                kept.add(c);
            }
        }
        if (!superseded.isEmpty()) {
            commands.markSuperseded(superseded, now);
        }
        return kept;
    }

    public Duration lease() {
        return lease;
    }

    @Transactional
    public int reapExpiredLeases() {
        return commands.reapExpired(clock.instant());
    }

    @Transactional
    public int release(List<Long> ids, String owner) {
        return ids.isEmpty() ? 0 : commands.releaseClaimed(ids, owner);
    }
}
