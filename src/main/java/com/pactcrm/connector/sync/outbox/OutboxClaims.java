package com.pactcrm.connector.sync.outbox;

import com.pactcrm.connector.sync.journal.SyncLogRepository;
import com.pactcrm.connector.sync.lease.InstallationLeases;
import com.pactcrm.connector.sync.outbox.DeliveryResult.Delivered;
import io.micronaut.context.annotation.Value;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The relay's short transactions: claim, coalesce, record what a call delivered, reap. */
@Singleton
public class OutboxClaims {

    /** Expired claims returned per reaper round; the next round (seconds later) takes the rest. */
    private static final int REAPED_PER_ROUND = 1000;

    private final OutboxRepository commands;
    private final InstallationLeases leases;
    private final SyncLogRepository syncLog;
    private final Clock clock;
    private final Duration lease;

    public OutboxClaims(OutboxRepository commands, InstallationLeases leases, SyncLogRepository syncLog, Clock clock,
                        @Value("${connector.relay.lease:300s}") Duration lease) {
        this.commands = commands;
        this.leases = leases;
        this.syncLog = syncLog;
        this.clock = clock;
        this.lease = lease;
    }

    /** The lanes with due commands that {@code owner} may work now (see {@link OutboxRepository#dueLanes}). */
    public List<OutboxLane> dueLanes(String owner, int limit) {
        return commands.dueLanes(clock.instant(), limit, leases.enabled(), owner);
    }

    /**
     * Marks what one call delivered DONE, with their sync-log lines, in one transaction: a call carrying 50 notes
     * commits once, where a commit per statement made it 100 commits (each one a log flush on a production MySQL).
     * @return the commands whose claim {@code owner} had lost meanwhile: nothing is written for them
     */
    @Transactional
    public List<OutboxCommand> markDelivered(String owner, List<OutboxCommand> delivered, List<Delivered> results) {
        Instant now = clock.instant();
        List<OutboxCommand> lost = new ArrayList<>();
        for (int i = 0; i < delivered.size(); i++) {
            OutboxCommand c = delivered.get(i);
            Delivered d = results.get(i);
            if (commands.markDone(c.id(), owner, d.remoteId(), now) == 0) {
                lost.add(c);
                continue;
            }
            syncLog.record(c.installationId(), c.kind().name(), c.sourceEventId(), c.id(), null, null, "DONE", d.detail());
        }
        return lost;
    }

    /**
     * Claims up to {@code limit} due commands of one lane for {@code owner}. Among claimed commands with the
     * same coalesce key only the newest is kept; the older ones are marked SUPERSEDED (the latest status of
     * a message wins).
     */
    @Transactional
    public Claimed claim(String owner, OutboxLane lane, int limit) {
        Instant now = clock.instant();
        List<Long> ids = commands.lockClaimable(lane.installationId(), lane.target().name(), now, limit,
                leases.enabled(), owner);
        if (ids.isEmpty()) {
            return new Claimed(List.of(), false);
        }
        commands.markInFlight(ids, owner, now.plus(lease));
        List<OutboxCommand> claimed = commands.findByIds(ids);
        Map<String, OutboxCommand> newestByKey = new HashMap<>();
        Set<Long> superseded = new HashSet<>();
        Set<String> ambiguousKeys = new HashSet<>();
        for (OutboxCommand c : claimed) {
            if (c.coalesceKey() != null) {
                OutboxCommand previous = newestByKey.put(c.coalesceKey(), c);
                if (previous != null) {
                    superseded.add(previous.id());
                    if (previous.ambiguous()) {
                        ambiguousKeys.add(c.coalesceKey());
                    }
                }
            }
        }
        if (!superseded.isEmpty()) {
            commands.markSuperseded(List.copyOf(superseded), now);
        }
        // A superseded command that may have been written leaves that doubt to the one that replaces it: its
        // entry is looked up before it is written, or the CRM gets a second one.
        List<OutboxCommand> kept = new ArrayList<>();
        List<Long> nowAmbiguous = new ArrayList<>();
        for (OutboxCommand c : claimed) {
            if (superseded.contains(c.id())) {
                continue;
            }
            boolean inherits = !c.ambiguous() && c.coalesceKey() != null && ambiguousKeys.contains(c.coalesceKey());
            if (inherits) {
                nowAmbiguous.add(c.id());
            }
            kept.add(inherits ? c.asAmbiguous() : c);
        }
        if (!nowAmbiguous.isEmpty()) {
            commands.markAmbiguous(nowAmbiguous);
        }
        return new Claimed(kept, ids.size() == limit);
    }

    /** What a lane claimed; {@code full}: the claim took all it could, so more commands may be waiting. */
    public record Claimed(List<OutboxCommand> commands, boolean full) {
    }

    /** Whether more commands of the lane are on their way: webhooks that queue them are still being processed. */
    public boolean moreOnTheWay(OutboxLane lane) {
        return commands.eventsAwaitProcessing(lane.installationId(), lane.target() == CommandKind.Target.CRM,
                clock.instant());
    }

    public Duration lease() {
        return lease;
    }

    /**
     * An installation this replica just took over or resumed: what an earlier owner had claimed and never
     * finished is due again now, not when its claim lease would have run out. A command that was already sent
     * once is marked ambiguous, so it is looked up before it is sent again.
     */
    @Transactional
    public int reclaimFromOthers(long installationId, String owner) {
        return commands.reclaimFromOthers(installationId, owner, clock.instant());
    }

    @Transactional
    public int reapExpiredLeases() {
        Instant now = clock.instant();
        List<Long> expired = commands.findExpired(now, REAPED_PER_ROUND);
        return expired.isEmpty() ? 0 : commands.reapExpired(expired, now);
    }

    @Transactional
    public int release(List<Long> ids, String owner) {
        return ids.isEmpty() ? 0 : commands.releaseClaimed(ids, owner);
    }
}
