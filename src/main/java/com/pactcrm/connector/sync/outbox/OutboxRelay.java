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
import com.pactcrm.connector.sync.outbox.OutboundCallException.Disposition;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Delivers queued commands: claims them, hands each installation's commands in order to the
 * deliverer of their kind in batches, and records the outcome: DONE with the remote id, a retry
 * along the {@link RetryLadder} (never sooner than the target asked), a wait without spending an
 * attempt when rate limited, or DEAD (with a health state for credential and billing errors; the
 * installation's other commands for that target are then held, not sent, for
 * {@code connector.outbox.health-hold} or until an admin lifts the hold).
 */
@Singleton
@Requires(property = "connector.relay.enabled", notEquals = "false")
public class OutboxRelay extends PollingWorker implements ApplicationEventListener<ServerStartupEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);

    private final OutboxClaims claims;
    private final InstallationLeases leases;
    private final OutboxRepository commands;
    private final InstallationRepository installations;
    private final InstallationHealthRepository health;
    private final SyncLogRepository syncLog;
    private final RetryLadder ladder;
    private final Map<CommandKind, OutboxDeliverer> deliverers = new EnumMap<>(CommandKind.class);
    private final String owner;
    private final int claimSize;
    private final Duration shutdownGrace;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Set<Long> notStarted = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> holds = new ConcurrentHashMap<>();
    private final Duration healthHold;

    public OutboxRelay(OutboxClaims claims, InstallationLeases leases, OutboxRepository commands, InstallationRepository installations,
                       InstallationHealthRepository health, SyncLogRepository syncLog, RetryLadder ladder,
                       List<OutboxDeliverer> deliverers, InstanceIdentity identity, Clock clock, MeterRegistry meters,
                       @Value("${connector.relay.poll-interval:500ms}") Duration pollInterval,
                       @Value("${connector.relay.claim-size:50}") int claimSize,
                       @Value("${connector.relay.threads:8}") int threads,
                       @Value("${connector.relay.reap-every:10s}") Duration reapEvery,
                       @Value("${connector.shutdown-grace:20s}") Duration shutdownGrace,
                       @Value("${connector.outbox.health-hold:15m}") Duration healthHold) {
        super("outbox-relay", pollInterval, threads, reapEvery, clock);
        this.claims = claims;
        this.leases = leases;
        this.commands = commands;
        this.installations = installations;
        this.health = health;
        this.syncLog = syncLog;
        this.ladder = ladder;
        deliverers.forEach(d -> d.kinds().forEach(k -> this.deliverers.put(k, d)));
        this.owner = identity.id();
        this.claimSize = claimSize;
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
        wake();
    }

    @EventListener
    void onQueued(OutboxCommandQueued event) {
        wake();
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

    @Override
    protected int pollOnce() {
        List<OutboxCommand> claimed = claims.claim(owner, claimSize);
        if (claimed.isEmpty()) {
            return 0;
        }
        // Sends stop well before the lease ends: past it, another replica's reaper may hand the rows out again.
        Instant sendUntil = clock.instant().plus(claims.lease().multipliedBy(4).dividedBy(5));
        Map<Long, List<OutboxCommand>> byInstallation = new LinkedHashMap<>();
        for (OutboxCommand c : claimed) {
            notStarted.add(c.id());
            byInstallation.computeIfAbsent(c.installationId(), k -> new ArrayList<>()).add(c);
        }
        runAll(byInstallation.entrySet().stream()
                .<Runnable>map(e -> () -> deliverAll(e.getKey(), e.getValue(), sendUntil)).toList());
        return claimed.size();
    }

    /** One installation's commands, in order, one kind-run at a time, in batches the deliverer accepts. */
    private void deliverAll(long installationId, List<OutboxCommand> list, Instant sendUntil) {
        MDC.put("installationId", Long.toString(installationId));
        try {
            Installation installation = installations.findById(installationId).orElse(null);
            int i = 0;
            while (i < list.size()) {
                if (!isRunning()) {
                    return;
                }
                if (clock.instant().isAfter(sendUntil)) {
                    giveBack(list.subList(i, list.size()), "claim_lease_ending");
                    return;
                }
                if (!leases.holds(installationId)) {
                    giveBack(list.subList(i, list.size()), "installation_lease_lost");
                    return;
                }
                CommandKind kind = list.get(i).kind();
                OutboxDeliverer deliverer = deliverers.get(kind);
                int size = deliverer == null || installation == null ? 1 : Math.max(1, deliverer.batchSize(kind, installation));
                List<OutboxCommand> batch = new ArrayList<>();
                while (i < list.size() && list.get(i).kind() == kind && batch.size() < size) {
                    batch.add(list.get(i++));
                }
                deliverBatch(installation, deliverer, batch);
            }
        } finally {
            MDC.remove("installationId");
        }
    }

    /** Returns claimed commands nobody started, without spending their attempt. */
    private void giveBack(List<OutboxCommand> rest, String reason) {
        List<Long> unsent = rest.stream().map(OutboxCommand::id).filter(notStarted::remove).toList();
        int released = claims.release(unsent, owner);
        LOG.info("event=outbox_claims_given_back count={} reason={}", released, reason);
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
        batch.forEach(c -> commands.markSending(c.id(), now));
        List<DeliveryResult> results;
        try {
            results = deliverer.deliver(installation, batch);
        } catch (OutboundCallException e) {
            results = batch.stream().map(c -> DeliveryResult.failed(e)).toList();
        } catch (RuntimeException e) {
            LOG.error("event=deliverer_crashed kind={} error={}", batch.get(0).kind(), e.toString(), e);
            OutboundCallException wrapped = new OutboundCallException(e.toString(), Disposition.RETRY, 0, null,
                    null, null, e);
            results = batch.stream().map(c -> DeliveryResult.failed(wrapped)).toList();
        }
        for (int j = 0; j < batch.size(); j++) {
            OutboxCommand c = batch.get(j);
            DeliveryResult r = j < results.size() ? results.get(j)
                    : DeliveryResult.failed(new OutboundCallException("no result for command", Disposition.RETRY,
                            0, null, null, null, null));
            if (r instanceof Delivered d) {
                done(c, d);
            } else if (r instanceof Failed f) {
                failed(installation, c, f.error());
            }
        }
    }

    private void done(OutboxCommand c, Delivered d) {
        Instant now = clock.instant();
        if (commands.markDone(c.id(), owner, d.remoteId(), now) == 0) {
            LOG.warn("event=outbox_lease_lost command={}", c.id());
            return;
        }
        syncLog.record(c.installationId(), c.kind().name(), c.sourceEventId(), c.id(), null, null, "DONE", d.detail());
        meters.counter("connector.outbox.commands", "kind", c.kind().name(), "outcome", "done").increment();
        meters.timer("connector.e2e.latency", "kind", c.kind().name()).record(Duration.between(c.originAt(), now));
        LOG.info("event=command_delivered command={} kind={} remoteId={} attempts={}", c.id(), c.kind(), d.remoteId(), c.attempts());
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
                LOG.warn("event=command_retry_scheduled command={} kind={} attempts={} inMs={} ambiguous={} error={}",
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
        LOG.error("event=command_dead command={} kind={} attempts={} reason={}", c.id(), c.kind(), c.attempts(), reason);
    }

}
