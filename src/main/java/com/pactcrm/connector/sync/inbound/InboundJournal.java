package com.pactcrm.connector.sync.inbound;

import com.pactcrm.connector.database.LockConflicts;
import com.pactcrm.connector.sync.EventSource;
import com.pactcrm.connector.sync.lease.InstallationLeases;
import io.micronaut.context.annotation.Value;
import io.micronaut.data.exceptions.DataAccessException;
import io.micronaut.transaction.annotation.Transactional;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The journal's write side for receivers and its claim side for the dispatcher. */
@Singleton
public class InboundJournal {

    private static final Logger LOG = LoggerFactory.getLogger(InboundJournal.class);
    private static final int APPEND_ATTEMPTS = 3;
    /** Expired leases returned per reaper round; the next round (seconds later) takes the rest. */
    private static final int REAPED_PER_ROUND = 1000;

    private final InboundEventRepository events;
    private final InstallationLeases leases;
    private final Clock clock;
    private final Duration lease;

    public InboundJournal(InboundEventRepository events, InstallationLeases leases, Clock clock,
                          @Value("${connector.dispatcher.lease:60s}") Duration lease) {
        this.events = events;
        this.leases = leases;
        this.clock = clock;
        this.lease = lease;
    }

    /**
     * Stores an event, retrying the rare deadlock victim: the sender is waiting for our 200 and
     * must get it if the row can be written at all.
     *
     * @return true when stored, false when it is a duplicate of an event already journaled
     */
    public boolean append(long installationId, EventSource source, String dedupeKey, String contentType,
                          String headers, byte[] body) {
        for (int attempt = 1; ; attempt++) {
            try {
                return events.insertIgnore(installationId, source.name(), dedupeKey, contentType, headers, body,
                        clock.instant()) == 1;
            } catch (DataAccessException e) {
                if (attempt >= APPEND_ATTEMPTS || !LockConflicts.isDeadlockVictim(e)) {
                    throw e;
                }
                LOG.warn("event=journal_insert_retried attempt={} error=\"{}\"", attempt, e.getMessage());
            }
        }
    }

    /** Claims up to {@code limit} due events for {@code owner} in one short transaction. */
    @Transactional
    public List<Long> claim(String owner, int limit) {
        Instant now = clock.instant();
        List<Long> ids = events.lockClaimable(now, limit, leases.enabled(), owner);
        if (!ids.isEmpty()) {
            events.markProcessing(ids, owner, now.plus(lease));
        }
        return ids;
    }

    @Transactional
    public int reapExpiredLeases() {
        Instant now = clock.instant();
        List<Long> expired = events.findExpired(now, REAPED_PER_ROUND);
        return expired.isEmpty() ? 0 : events.reapExpired(expired, now);
    }

    /** An installation just taken over: its events another owner was processing are due again now, not at their lease's end. */
    @Transactional
    public int reclaimFromOthers(long installationId, String owner) {
        return events.reclaimFromOthers(installationId, owner);
    }

    @Transactional
    public int releaseOwnedBy(String owner) {
        return events.releaseOwnedBy(owner);
    }

    /** Puts a failed event back for a later attempt, or parks it when it has had its last one. */
    @Transactional
    public boolean recordFailure(long id, String owner, int attempts, int maxAttempts, String error,
                                 boolean retryable, Duration backoff) {
        boolean park = !retryable || attempts >= maxAttempts;
        Instant next = clock.instant().plus(park ? Duration.ZERO : backoff);
        String trimmed = error.length() > 2000 ? error.substring(0, 2000) : error;
        events.markFailed(id, owner, park ? InboundEventState.PARKED.name() : InboundEventState.NEW.name(), trimmed, next);
        return park;
    }

    public int attempts(long id) {
        return events.attemptsOf(id);
    }

    /** An admin's "retry" on a parked event. */
    @Transactional
    public boolean retryParked(long installationId, long id) {
        return events.retryParked(id, installationId, clock.instant()) == 1;
    }
}
