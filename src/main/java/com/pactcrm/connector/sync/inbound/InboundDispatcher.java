package com.pactcrm.connector.sync.inbound;

import com.pactcrm.connector.database.LockConflicts;
import com.pactcrm.connector.sync.InstanceIdentity;
import com.pactcrm.connector.sync.PollingWorker;
import com.pactcrm.connector.sync.lease.LeasesChanged;
import com.pactcrm.connector.sync.outbox.RetryLadder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Claims journaled events ({@code FOR UPDATE SKIP LOCKED} plus a lease), processes each exactly
 * once, retries failures with backoff and parks an event after its last attempt. A reaper returns
 * events whose lease expired (their worker died) to the queue.
 */
@Singleton
@Requires(property = "connector.dispatcher.enabled", notEquals = "false")
public class InboundDispatcher extends PollingWorker implements ApplicationEventListener<ServerStartupEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(InboundDispatcher.class);

    private final InboundJournal journal;
    private final InboundEventProcessor processor;
    private static final int QUEUED_PER_THREAD = 4;
    /** How many times in a row an event's transaction runs while InnoDB keeps choosing it as a deadlock victim. */
    private static final int RUNS_PER_DEADLOCK = 4;

    private final String owner;
    private final int threads;
    private final AtomicInteger inHand = new AtomicInteger();
    private final int batchSize;
    private final int maxAttempts;
    private final Duration firstBackoff;
    private final Duration shutdownGrace;
    private final MeterRegistry meters;

    public InboundDispatcher(InboundJournal journal, InboundEventProcessor processor, InstanceIdentity identity,
                             Clock clock, MeterRegistry meters,
                             @Value("${connector.dispatcher.poll-interval:500ms}") Duration pollInterval,
                             @Value("${connector.dispatcher.batch-size:100}") int batchSize,
                             @Value("${connector.dispatcher.threads:4}") int threads,
                             @Value("${connector.dispatcher.max-attempts:8}") int maxAttempts,
                             @Value("${connector.dispatcher.first-backoff:5s}") Duration firstBackoff,
                             @Value("${connector.dispatcher.reap-every:10s}") Duration reapEvery,
                             @Value("${connector.shutdown-grace:20s}") Duration shutdownGrace) {
        super("inbound-dispatcher", pollInterval, threads, reapEvery, clock);
        this.journal = journal;
        this.processor = processor;
        this.owner = identity.id();
        this.threads = threads;
        this.batchSize = batchSize;
        this.maxAttempts = maxAttempts;
        this.firstBackoff = firstBackoff;
        this.shutdownGrace = shutdownGrace;
        this.meters = meters;
    }

    @Override
    public void onApplicationEvent(ServerStartupEvent event) {
        start();
    }

    @EventListener
    void onLeasesChanged(LeasesChanged event) {
        int reclaimed = event.takenOver().stream().mapToInt(id -> journal.reclaimFromOthers(id, owner)).sum();
        if (reclaimed > 0) {
            LOG.info("event=inbound_reclaimed count={} installations={}", reclaimed, event.takenOver());
        }
        wake();
    }

    /** A receiver journaled an event: start now rather than at the next poll. */
    @EventListener
    void onJournaled(InboundEventJournaled event) {
        wake();
    }

    /** Stops claiming, lets the events in hand finish (up to the grace) and returns claimed ones not started. Idempotent. */
    @PreDestroy
    public void drain() {
        stop(shutdownGrace);
        int released = journal.releaseOwnedBy(owner);
        LOG.info("event=dispatcher_shutdown released={}", released);
    }

    /**
     * Claims what the pool can take (a few events per thread queued ahead) and hands each event to the pool
     * without waiting for the others: an event whose processing waits on a slow CRM holds one thread, not the round.
     * While every thread is busy it claims only once half the queue ahead has room: each webhook journaled and each
     * event finished wakes the loop, and a claim per wake (a locking transaction for one or two events) would cost
     * the database more than the events themselves under a burst.
     */
    @Override
    protected int pollOnce() {
        int inHandNow = inHand.get();
        int room = Math.min(batchSize, threads * QUEUED_PER_THREAD - inHandNow);
        if (room <= 0 || inHandNow >= threads && room < threads * QUEUED_PER_THREAD / 2) {
            return 0;
        }
        List<Long> claimed = journal.claim(owner, room);
        inHand.addAndGet(claimed.size());
        claimed.forEach(id -> submit(() -> {
            try {
                processOne(id);
            } finally {
                inHand.decrementAndGet();
                wake();
            }
        }));
        return claimed.size();
    }

    @Override
    protected int reapExpiredLeases() {
        return journal.reapExpiredLeases();
    }

    private void processOne(long id) {
        MDC.put("eventId", Long.toString(id));
        long start = System.nanoTime();
        try {
            String outcome = processUnlessDeadlocked(id);
            if (outcome == null) {
                LOG.warn("event=inbound_lease_lost");
            } else {
                LOG.debug("event=inbound_processed outcome=\"{}\"", outcome);
                meters.counter("connector.inbound.processed", "outcome", "done").increment();
            }
        } catch (RuntimeException e) {
            fail(id, e);
        } finally {
            meters.timer("connector.inbound.processing").record(Duration.ofNanos(System.nanoTime() - start));
            MDC.remove("eventId");
            MDC.remove("installationId");
        }
    }

    /**
     * Runs the event's transaction again at once when InnoDB chose it as a deadlock's victim: nothing of it was
     * written, and the create and the status updates of one message (journaled back to back, so claimed together
     * and processed on different threads) lock the same rows. A backoff of seconds would hold those updates back
     * for nothing, and spend one of the event's attempts.
     */
    private String processUnlessDeadlocked(long id) {
        for (int run = 1; ; run++) {
            try {
                return processor.process(id, owner);
            } catch (RuntimeException e) {
                if (run >= RUNS_PER_DEADLOCK || !LockConflicts.isDeadlockVictim(e)) {
                    throw e;
                }
                meters.counter("connector.inbound.deadlock_reruns").increment();
                LOG.info("event=inbound_deadlock_rerun run={}", run);
            }
        }
    }

    private void fail(long id, RuntimeException e) {
        boolean retryable = !(e instanceof UnprocessableEventException);
        int attempts = journal.attempts(id);
        Duration backoff = backoff(attempts);
        boolean parked = journal.recordFailure(id, owner, attempts, maxAttempts, e.toString(), retryable, backoff);
        meters.counter("connector.inbound.processed", "outcome", parked ? "parked" : "retry").increment();
        if (parked) {
            LOG.error("event=inbound_parked attempts={} error=\"{}\"", attempts, e.toString());
        } else {
            LOG.warn("event=inbound_retry_scheduled attempts={} inMs={} error=\"{}\"", attempts, backoff.toMillis(), e.toString());
        }
    }

    /** Doubling backoff from {@code firstBackoff}, capped at an hour, with 75–100 % jitter. */
    private Duration backoff(int attempts) {
        long base = firstBackoff.toMillis() << Math.min(Math.max(attempts - 1, 0), 10);
        long capped = Math.min(base, Duration.ofHours(1).toMillis());
        return RetryLadder.jitter(Duration.ofMillis(capped));
    }

}
