package com.pactcrm.connector.sync.outbox;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.sync.InstanceIdentity;
import com.pactcrm.connector.sync.PollingWorker;
import com.pactcrm.connector.sync.lease.InstallationLeases;
import com.pactcrm.connector.sync.lease.LeasesChanged;
import com.pactcrm.connector.sync.journal.SyncLogRepository;
import com.pactcrm.connector.sync.outbox.DeliveryResult.Delivered;
import com.pactcrm.connector.sync.outbox.DeliveryResult.Failed;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.runtime.event.annotation.EventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Delivers queued commands. Each installation's commands for one target form a lane (a slow or failing
 * target delays only its own lane); a lane claims enough due commands to fill the target's calls, groups
 * them by {@linkplain OutboxDeliverer#endpoint endpoint} whatever their kind, and hands them to their
 * deliverer in full batches, sending a partial batch only when nothing more waits. Up to
 * {@code connector.relay.lanes-per-target} lanes of one installation and target run at once, so one call
 * that hangs until its timeout does not hold the rest of the queue; the target's rate limiter keeps their
 * sum within its limits. Each outcome is recorded: DONE with the remote id, a retry along the
 * {@link RetryLadder} (never sooner than the target asked), a wait without spending an attempt when rate
 * limited, or DEAD (with a health state for credential and billing errors; the installation's other
 * commands for that target are then held, not sent, for {@code connector.outbox.health-hold} or until an
 * admin lifts the hold).
 */
@Singleton
@Requires(property = "connector.relay.enabled", notEquals = "false")
public class OutboxRelay extends PollingWorker implements ApplicationEventListener<ServerStartupEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
    /** Waits for a call longer than this are not slept through on a lane's thread (see awaitNextCall). */
    private static final Duration LONGEST_WAIT_FOR_A_CALL = Duration.ofSeconds(1);
    /** How many small claims in a row go back for more before one is sent anyway: the queue always moves. */
    private static final int PARTIAL_CLAIMS_HELD_BACK = 3;
    /** The longest a command waits for company while its installation's webhooks are still being processed. */
    private static final Duration LONGEST_HOLD_FOR_A_FULLER_CALL = Duration.ofSeconds(1);
    /** How soon a lane that gave a small claim back looks again. */
    private static final Duration RECLAIM_AFTER = Duration.ofMillis(100);

    private final OutboxClaims claims;
    private final InstallationLeases leases;
    private final OutboxRepository commands;
    private final InstallationRepository installations;
    private final InstallationHealthRepository health;
    private final SyncLogRepository syncLog;
    private final RetryLadder ladder;
    private final Map<CommandKind, OutboxDeliverer> deliverers = new EnumMap<>(CommandKind.class);
    private final String owner;
    private final int threads;
    private final int batchesPerClaim;
    private final int lanesPerTarget;
    private final Duration shutdownGrace;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Set<Long> notStarted = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> holds = new ConcurrentHashMap<>();
    private final Map<OutboxLane, Integer> running = new ConcurrentHashMap<>();
    private final Map<OutboxLane, Object> claimLocks = new ConcurrentHashMap<>();
    private final AtomicInteger busyThreads = new AtomicInteger();
    private final Duration healthHold;
    private final ApplicationEventPublisher<OutboxCommandDead> deadLetters;

    public OutboxRelay(OutboxClaims claims, InstallationLeases leases, OutboxRepository commands, InstallationRepository installations,
                       InstallationHealthRepository health, SyncLogRepository syncLog, RetryLadder ladder,
                       List<OutboxDeliverer> deliverers, InstanceIdentity identity, Clock clock, MeterRegistry meters,
                       @Value("${connector.relay.poll-interval:500ms}") Duration pollInterval,
                       @Value("${connector.relay.batches-per-claim:3}") int batchesPerClaim,
                       @Value("${connector.relay.lanes-per-target:2}") int lanesPerTarget,
                       @Value("${connector.relay.threads:16}") int threads,
                       @Value("${connector.relay.reap-every:10s}") Duration reapEvery,
                       @Value("${connector.shutdown-grace:20s}") Duration shutdownGrace,
                       @Value("${connector.outbox.health-hold:15m}") Duration healthHold,
                       ApplicationEventPublisher<OutboxCommandDead> deadLetters) {
        super("outbox-relay", pollInterval, threads, reapEvery, clock);
        this.deadLetters = deadLetters;
        this.claims = claims;
        this.leases = leases;
        this.commands = commands;
        this.installations = installations;
        this.health = health;
        this.syncLog = syncLog;
        this.ladder = ladder;
        deliverers.forEach(d -> d.kinds().forEach(k -> this.deliverers.put(k, d)));
        this.owner = identity.id();
        this.threads = threads;
        this.batchesPerClaim = Math.max(1, batchesPerClaim);
        this.lanesPerTarget = Math.max(1, lanesPerTarget);
        this.shutdownGrace = shutdownGrace;
        this.healthHold = healthHold;
        this.clock = clock;
        this.meters = meters;
    }

    @Override
    public void onApplicationEvent(ServerStartupEvent event) {
        start();
    }

    @EventListener
    void onLeasesChanged(LeasesChanged event) {
        int reclaimed = event.takenOver().stream().mapToInt(id -> claims.reclaimFromOthers(id, owner)).sum();
        if (reclaimed > 0) {
            LOG.info("event=outbox_reclaimed count={} installations={}", reclaimed, event.takenOver());
        }
        wake();
    }

    /**
     * A lane already running at its limit claims the new command itself before it stops (it claims until none is
     * left); only otherwise is a poll worth its query. Under a burst this spares the database a lane query for
     * every command queued.
     */
    @EventListener
    void onQueued(OutboxCommandQueued event) {
        if (running.getOrDefault(new OutboxLane(event.installationId(), event.target()), 0) < lanesPerTarget) {
            wake();
        }
    }

    @EventListener
    void onHoldLifted(OutboxHoldLifted event) {
        holds.keySet().removeIf(key -> event.target() == null ? key.startsWith(event.installationId() + "|")
                : key.equals(event.installationId() + "|" + event.target()));
        wake();
    }

    /** Stops claiming, lets the deliveries in hand finish (up to the grace) and returns claimed commands not started. Idempotent. */
    @PreDestroy
    public void drain() {
        stop(shutdownGrace);
        // Whoever removes an id from notStarted owns it: here to give it back, in deliverBatch to send it.
        List<Long> unsent = new ArrayList<>();
        for (Long id : List.copyOf(notStarted)) {
            if (notStarted.remove(id)) {
                unsent.add(id);
            }
        }
        int released = claims.release(unsent, owner);
        LOG.info("event=relay_shutdown released={}", released);
    }

    @Override
    protected int reapExpiredLeases() {
        return claims.reapExpiredLeases();
    }

    /** Starts a lane for each due installation and target that has room, up to the free threads; never waits for them. */
    @Override
    protected int pollOnce() {
        int free = threads - busyThreads.get();
        if (free <= 0) {
            return 0;
        }
        int started = 0;
        for (OutboxLane lane : claims.dueLanes(owner, threads * 4)) {
            if (started == free) {
                break;
            }
            if (leases.holds(lane.installationId()) && enter(lane)) {
                busyThreads.incrementAndGet();
                started++;
                submit(() -> runLane(lane));
            }
        }
        return started;
    }

    private boolean enter(OutboxLane lane) {
        boolean[] entered = {false};
        running.compute(lane, (k, n) -> {
            int count = n == null ? 0 : n;
            if (count >= lanesPerTarget) {
                return n;
            }
            entered[0] = true;
            return count + 1;
        });
        return entered[0];
    }

    private void leave(OutboxLane lane) {
        running.computeIfPresent(lane, (k, n) -> n <= 1 ? null : n - 1);
    }

    /**
     * Claims and delivers the lane's due commands until none is left (or the lease or the process ends). A claim
     * is made when the target's rate limit lets the next call go, not before: what queues while the lane waits for
     * it rides in that call instead of waiting for one of its own. A claim smaller than a call that finds the call
     * taken meanwhile (by the lane's twin) goes back to the queue, up to {@link #PARTIAL_CLAIMS_HELD_BACK} times in
     * a row, to be claimed again with what queues until the next call.
     */
    private void runLane(OutboxLane lane) {
        MDC.put("installationId", Long.toString(lane.installationId()));
        try {
            Installation installation = installations.findById(lane.installationId()).orElse(null);
            int batchSize = batchSize(lane, installation);
            int limit = batchSize * batchesPerClaim;
            int heldBack = 0;
            while (isRunning() && leases.holds(lane.installationId())) {
                awaitNextCall(lane, installation);
                OutboxClaims.Claimed claimed;
                // Two lanes of one installation and target claim one after the other: a claim in progress holds
                // its rows locked but not yet IN_FLIGHT, and the other would take a newer status of the same message.
                synchronized (claimLocks.computeIfAbsent(lane, k -> new Object())) {
                    claimed = claims.claim(owner, lane, limit);
                }
                if (claimed.commands().isEmpty()) {
                    return;
                }
                claimed.commands().forEach(c -> notStarted.add(c.id()));
                if (claimed.commands().size() < batchSize && !claimed.full()) {
                    if (heldBack < PARTIAL_CLAIMS_HELD_BACK && !nextCallIn(lane, installation).isZero()) {
                        heldBack++;
                        waitForMore(claimed.commands());
                        continue;
                    }
                    Duration holdLeft = holdLeft(claimed.commands());
                    if (!holdLeft.isZero() && claims.moreOnTheWay(lane)) {
                        waitForMore(claimed.commands());
                        pause(holdLeft.compareTo(RECLAIM_AFTER) < 0 ? holdLeft : RECLAIM_AFTER);
                        continue;
                    }
                }
                heldBack = 0;
                // A claim that filled a call but not its limit still leaves a partial call behind its full ones: while
                // the installation's webhooks are being processed, that remainder is about to have company too.
                boolean backlog = claimed.full() || claimed.commands().size() >= batchSize
                        && !holdLeft(claimed.commands()).isZero() && claims.moreOnTheWay(lane);
                // Sends stop well before the claim lease ends: past it, another replica's reaper may hand the rows out again.
                Instant sendUntil = clock.instant().plus(claims.lease().multipliedBy(4).dividedBy(5));
                deliverClaimed(installation, claimed.commands(), backlog, sendUntil);
            }
        } finally {
            leave(lane);
            busyThreads.decrementAndGet();
            MDC.remove("installationId");
            wake();
        }
    }

    /**
     * Sleeps until the target's rate limit lets the lane's next call go, when that is soon. A longer wait (the
     * target said 429, a long window) is left to the client, which turns it into a later attempt that holds no thread.
     */
    private void awaitNextCall(OutboxLane lane, Installation installation) {
        Duration wait = nextCallIn(lane, installation);
        if (!wait.isZero() && wait.compareTo(LONGEST_WAIT_FOR_A_CALL) <= 0) {
            pause(wait);
        }
    }

    /**
     * How much longer a small claim may go back to wait for the commands its installation's webhooks are about to
     * queue: a burst of webhooks is processed over seconds, and sending what each moment has ready would spend a
     * call (of 7 a second on amoCRM, 2 on Bitrix24) on a handful of entries. Zero once the oldest claimed command
     * has waited {@link #LONGEST_HOLD_FOR_A_FULLER_CALL}, so a lone update is never held longer than that.
     */
    private Duration holdLeft(List<OutboxCommand> claimed) {
        Instant oldest = claimed.stream().map(c -> c.createdAt() == null ? c.originAt() : c.createdAt())
                .min(Comparator.naturalOrder()).orElseThrow();
        Duration left = Duration.between(clock.instant(), oldest.plus(LONGEST_HOLD_FOR_A_FULLER_CALL));
        return left.isNegative() ? Duration.ZERO : left;
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(Math.max(1, duration.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** When the soonest of the lane's deliverers can make its next call (zero: now). */
    private Duration nextCallIn(OutboxLane lane, Installation installation) {
        if (installation == null) {
            return Duration.ZERO;
        }
        Duration soonest = null;
        for (Map.Entry<CommandKind, OutboxDeliverer> e : deliverers.entrySet()) {
            if (e.getKey().target() == lane.target()) {
                Duration wait = e.getValue().nextCallIn(installation);
                soonest = soonest == null || wait.compareTo(soonest) < 0 ? wait : soonest;
            }
        }
        return soonest == null ? Duration.ZERO : soonest;
    }

    /** The largest call any kind of the lane's target carries for this installation (1 when it has no deliverer). */
    private int batchSize(OutboxLane lane, Installation installation) {
        int size = 1;
        for (Map.Entry<CommandKind, OutboxDeliverer> e : deliverers.entrySet()) {
            if (installation != null && e.getKey().target() == lane.target()) {
                size = Math.max(size, e.getValue().batchSize(e.getKey(), installation));
            }
        }
        return size;
    }

    /**
     * One claim's commands, grouped by endpoint in their order and sent in batches. With more commands waiting
     * ({@code backlog}), a group's last batch that is not full goes back to the queue to be joined by them,
     * unless this claim sent nothing else (so a claim always makes progress).
     */
    private void deliverClaimed(Installation installation, List<OutboxCommand> claimed, boolean backlog, Instant sendUntil) {
        Map<String, List<OutboxCommand>> byEndpoint = new LinkedHashMap<>();
        Map<OutboxDeliverer, List<OutboxCommand>> byDeliverer = new LinkedHashMap<>();
        for (OutboxCommand c : claimed) {
            OutboxDeliverer deliverer = deliverers.get(c.kind());
            if (deliverer == null || installation == null) {
                byEndpoint.put("none:" + c.id(), new ArrayList<>(List.of(c)));
            } else {
                byDeliverer.computeIfAbsent(deliverer, k -> new ArrayList<>()).add(c);
            }
        }
        byDeliverer.forEach((deliverer, commands) -> {
            List<String> endpoints = deliverer.endpoints(installation, commands);
            for (int i = 0; i < commands.size(); i++) {
                byEndpoint.computeIfAbsent(deliverer.getClass().getName() + "|" + endpoints.get(i),
                        k -> new ArrayList<>()).add(commands.get(i));
            }
        });
        List<List<OutboxCommand>> full = new ArrayList<>();
        List<List<OutboxCommand>> partial = new ArrayList<>();
        for (List<OutboxCommand> group : byEndpoint.values()) {
            CommandKind kind = group.get(0).kind();
            OutboxDeliverer deliverer = deliverers.get(kind);
            int size = deliverer == null || installation == null ? 1 : Math.max(1, deliverer.batchSize(kind, installation));
            for (int from = 0; from < group.size(); from += size) {
                List<OutboxCommand> batch = group.subList(from, Math.min(group.size(), from + size));
                (batch.size() == size ? full : partial).add(batch);
            }
        }
        List<List<OutboxCommand>> toSend = new ArrayList<>(full);
        if (backlog && !full.isEmpty()) {
            partial.forEach(this::waitForMore);
        } else {
            toSend.addAll(partial);
        }
        toSend.sort(Comparator.comparingLong(batch -> batch.get(0).id()));
        for (int i = 0; i < toSend.size(); i++) {
            List<OutboxCommand> rest = toSend.subList(i, toSend.size()).stream().flatMap(List::stream).toList();
            if (!isRunning()) {
                return;
            }
            if (clock.instant().isAfter(sendUntil)) {
                giveBack(rest, "claim_lease_ending");
                return;
            }
            if (!leases.holds(claimed.get(0).installationId())) {
                giveBack(rest, "installation_lease_lost");
                return;
            }
            List<OutboxCommand> batch = toSend.get(i);
            deliverBatch(installation, deliverers.get(batch.get(0).kind()), batch);
        }
    }

    /** A batch that is not full goes back to the queue, its attempt unspent, to go out with the commands behind it. */
    private void waitForMore(List<OutboxCommand> batch) {
        LOG.debug("event=outbox_batch_waits_for_more count={}", release(batch));
    }

    private void giveBack(List<OutboxCommand> rest, String reason) {
        LOG.info("event=outbox_claims_given_back count={} reason=\"{}\"", release(rest), reason);
    }

    /** Returns claimed commands nobody started to the queue, their attempt unspent. @return how many */
    private int release(List<OutboxCommand> commands) {
        return claims.release(commands.stream().map(OutboxCommand::id).filter(notStarted::remove).toList(), owner);
    }

    private void deliverBatch(Installation installation, OutboxDeliverer deliverer, List<OutboxCommand> claimed) {
        // A command shutdown already gave back (not in notStarted any more) must not be sent as well.
        List<OutboxCommand> batch = claimed.stream().filter(c -> notStarted.remove(c.id())).toList();
        if (batch.isEmpty()) {
            return;
        }
        if (installation == null || !installation.active()) {
            batch.forEach(c -> dead(c, "installation is not active"));
            return;
        }
        if (deliverer == null) {
            batch.forEach(c -> dead(c, "no deliverer for " + c.kind() + " on " + installation.crm()));
            return;
        }
        Instant now = clock.instant();
        Instant heldUntil = holds.get(holdKey(installation.id(), batch.get(0).kind()));
        if (heldUntil != null && heldUntil.isAfter(now)) {
            batch.forEach(c -> hold(c, heldUntil));
            return;
        }
        commands.markSending(batch.stream().map(OutboxCommand::id).toList(), now);
        List<DeliveryResult> results;
        try {
            results = deliverer.deliver(installation, batch);
        } catch (OutboundCallException e) {
            results = batch.stream().map(c -> DeliveryResult.failed(e)).toList();
        } catch (RuntimeException e) {
            LOG.error("event=deliverer_crashed kind={} error=\"{}\"", batch.get(0).kind(), e.toString(), e);
            OutboundCallException wrapped = new OutboundCallException(e.toString(), Disposition.RETRY, 0, null,
                    null, null, e);
            results = batch.stream().map(c -> DeliveryResult.failed(wrapped)).toList();
        }
        List<OutboxCommand> delivered = new ArrayList<>();
        List<Delivered> outcomes = new ArrayList<>();
        for (int j = 0; j < batch.size(); j++) {
            OutboxCommand c = batch.get(j);
            DeliveryResult r = j < results.size() ? results.get(j)
                    : DeliveryResult.failed(new OutboundCallException("no result for command", Disposition.RETRY,
                            0, null, null, null, null));
            if (r instanceof Delivered d) {
                delivered.add(c);
                outcomes.add(d);
            } else if (r instanceof Failed f) {
                failed(installation, c, f.error());
            }
        }
        if (!delivered.isEmpty()) {
            done(delivered, outcomes);
        }
    }

    private void done(List<OutboxCommand> delivered, List<Delivered> outcomes) {
        Set<Long> lost = new HashSet<>();
        claims.markDelivered(owner, delivered, outcomes).forEach(c -> lost.add(c.id()));
        Instant now = clock.instant();
        for (int i = 0; i < delivered.size(); i++) {
            OutboxCommand c = delivered.get(i);
            if (lost.contains(c.id())) {
                LOG.warn("event=outbox_lease_lost command={}", c.id());
                continue;
            }
            meters.counter("connector.outbox.commands", "kind", c.kind().name(), "outcome", "done").increment();
            meters.timer("connector.e2e.latency", "kind", c.kind().name()).record(Duration.between(c.originAt(), now));
            LOG.info("event=command_delivered command={} kind={} remoteId={} attempts={}", c.id(), c.kind(),
                    outcomes.get(i).remoteId(), c.attempts());
        }
    }

    private void failed(Installation installation, OutboxCommand c, OutboundCallException e) {
        Instant now = clock.instant();
        switch (e.disposition()) {
            case RATE_LIMITED -> {
                Duration wait = e.retryAfter().orElse(Duration.ofSeconds(1));
                Duration jittered = wait.plusMillis(ThreadLocalRandom.current().nextLong(Math.max(1, wait.toMillis() / 10 + 1)));
                commands.markFailed(c.id(), owner, OutboxState.PENDING.name(), now.plus(jittered), e.getMessage(), -1, false);
                meters.counter("connector.outbox.commands", "kind", c.kind().name(), "outcome", "rate_limited").increment();
                LOG.info("event=command_rate_limited command={} kind={} waitMs={}", c.id(), c.kind(), jittered.toMillis());
            }
            case RETRY, RETRY_AMBIGUOUS -> {
                if (c.attempts() >= ladder.maxAttempts()) {
                    dead(c, "retries exhausted: " + e.getMessage());
                    return;
                }
                Duration wait = ladder.delayAfter(c.attempts(), e.retryAfter().orElse(null));
                commands.markFailed(c.id(), owner, OutboxState.PENDING.name(), now.plus(wait), e.getMessage(), 0,
                        e.disposition() == Disposition.RETRY_AMBIGUOUS);
                meters.counter("connector.outbox.commands", "kind", c.kind().name(), "outcome", "retry").increment();
                LOG.warn("event=command_retry_scheduled command={} kind={} attempts={} inMs={} ambiguous={} error=\"{}\"",
                        c.id(), c.kind(), c.attempts(), wait.toMillis(), e.disposition() == Disposition.RETRY_AMBIGUOUS,
                        e.getMessage());
            }
            case HEALTH -> {
                e.healthComponent().ifPresent(component ->
                        health.record(installation.id(), component, e.healthState().orElse("ERROR"), e.getMessage()));
                // The target refused the account itself (token, billing, block): stop calling it for a while,
                // holding this installation's other commands for that target instead of burning them.
                holds.put(holdKey(installation.id(), c.kind()), now.plus(healthHold));
                dead(c, e.healthState().orElse("HEALTH") + ": " + e.getMessage());
            }
            case PERMANENT -> dead(c, e.getMessage());
        }
    }

    /** Puts a command back untouched (no attempt spent) until the hold on its target ends. */
    private void hold(OutboxCommand c, Instant until) {
        commands.markFailed(c.id(), owner, OutboxState.PENDING.name(), until, "held: the target refused this account", -1,
                false);
        meters.counter("connector.outbox.commands", "kind", c.kind().name(), "outcome", "held").increment();
    }

    private static String holdKey(long installationId, CommandKind kind) {
        return installationId + "|" + kind.target();
    }

    private void dead(OutboxCommand c, String reason) {
        commands.markFailed(c.id(), owner, OutboxState.DEAD.name(), clock.instant(), reason, 0, false);
        syncLog.record(c.installationId(), c.kind().name(), c.sourceEventId(), c.id(), null, null, "DEAD", reason);
        meters.counter("connector.outbox.commands", "kind", c.kind().name(), "outcome", "dead").increment();
        LOG.error("event=command_dead command={} kind={} attempts={} reason=\"{}\"", c.id(), c.kind(), c.attempts(), reason);
        deadLetters.publishEvent(new OutboxCommandDead(c.installationId(), c.id(), c.kind(), c.idempotencyKey(), reason));
    }

}
