package com.pactcrm.connector.sync.lease;

import com.pactcrm.connector.sync.InstanceIdentity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Value;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.context.event.ApplicationEventListener;
import io.micronaut.runtime.server.event.ServerStartupEvent;
import io.micronaut.transaction.TransactionOperations;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shares the installations among the live replicas (ARCHITECTURE §2, scale-out): each installation's
 * journal and outbox are worked by the one replica holding its lease, so per-account order holds. Every
 * {@code connector.lease.renew-every} a replica announces itself, renews its leases, takes unleased
 * or expired ones up to its fair share (installations ÷ live replicas, rounded up), and hands the
 * excess over: it stops claiming that installation's work, and releases the lease once nothing of
 * it is in flight. A new owner works a taken-over installation at once, what the old owner had claimed
 * included ({@link LeasesChanged#takenOver()}: reclaimed at once). It needs no quiet period towards the
 * targets first: the outbound limiters' state lives in the database
 * ({@link com.pactcrm.connector.sync.resilience.SharedLimiterStates}), so the calls the old owner made
 * just before (or any other replica made on the request path) are already counted in the budget the new
 * owner's calls take from. A replica restarted under the same {@linkplain InstanceIdentity#name() name}
 * resumes its earlier start's leases on its first round, instead of waiting for them to run out.
 */
@Singleton
public class InstallationLeases implements ApplicationEventListener<ServerStartupEvent> {

    private static final Logger LOG = LoggerFactory.getLogger(InstallationLeases.class);
    /** Past a lease's end, so that the round it triggers finds it ended. */
    private static final Duration EXPIRY_SLACK = Duration.ofMillis(50);

    private final InstallationLeaseRepository leases;
    private final TransactionOperations<Connection> tx;
    private final ApplicationEventPublisher<LeasesChanged> events;
    private final Clock clock;
    private final String owner;
    private final boolean enabled;
    private final Duration ttl;
    private final Duration renewEvery;
    private final Counter takeovers;
    private final String name;
    private final Instant startedAt;
    private final AtomicReference<Set<Long>> owned = new AtomicReference<>(Set.of());
    private ScheduledExecutorService timer;
    private volatile boolean releasedAll;
    private volatile boolean draining;
    private volatile Instant validUntil = Instant.MIN;
    private boolean resumed;

    public InstallationLeases(InstallationLeaseRepository leases, TransactionOperations<Connection> tx,
                              ApplicationEventPublisher<LeasesChanged> events,
                              InstanceIdentity identity, Clock clock,
                              @Value("${connector.lease.enabled:true}") boolean enabled,
                              @Value("${connector.dispatcher.enabled:true}") boolean dispatching,
                              @Value("${connector.relay.enabled:true}") boolean relaying,
                              @Value("${connector.lease.ttl:20s}") Duration ttl,
                              @Value("${connector.lease.renew-every:2s}") Duration renewEvery,
                              MeterRegistry meters) {
        if (renewEvery.multipliedBy(3).compareTo(ttl) > 0) {
            throw new IllegalStateException("connector.lease.ttl must be at least three renew-every periods");
        }
        this.leases = leases;
        this.tx = tx;
        this.events = events;
        this.clock = clock;
        this.owner = identity.id();
        this.name = identity.name();
        this.startedAt = identity.startedAt();
        // A replica that neither dispatches nor relays (serving webhooks and the widget API only) holds no lease.
        this.enabled = enabled && (dispatching || relaying);
        if (this.enabled && dispatching != relaying) {
            LOG.warn("event=lease_single_worker dispatching={} relaying={} hint=\"a replica holding leases should run both "
                    + "workers, or the other half of its installations' work waits for another owner\"", dispatching, relaying);
        }
        this.ttl = ttl;
        this.renewEvery = renewEvery;
        // Registered at zero, so the first takeover already shows as an increase.
        this.takeovers = Counter.builder("connector.lease.takeovers")
                .description("leases taken over from a replica that stopped renewing them (died, stalled, or restarted)")
                .register(meters);
    }

    /** False: one process works every installation (no lease rows are read or written). */
    public boolean enabled() {
        return enabled;
    }

    public String owner() {
        return owner;
    }

    /** The installations this replica held at its last round. */
    public Set<Long> owned() {
        return owned.get();
    }

    @Override
    public synchronized void onApplicationEvent(ServerStartupEvent event) {
        if (!enabled || timer != null) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "installation-leases");
            t.setDaemon(true);
            return t;
        });
        balance();
        timer.scheduleWithFixedDelay(this::balanceLogged, renewEvery.toMillis(), renewEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void balanceLogged() {
        try {
            balance();
        } catch (RuntimeException e) {
            // A missed round is harmless while the next one comes before the ttl ends.
            LOG.error("event=lease_round_failed owner={} error=\"{}\"", owner, e.toString(), e);
        }
    }

    /**
     * One round: announce, renew, finish handovers, then take or hand over towards the fair share. While
     * the replica drains for shutdown it only renews what it holds. Never runs beside {@link #releaseAll}.
     */
    public synchronized void balance() {
        if (releasedAll) {
            return;
        }
        Instant now = clock.instant();
        Set<Long> takenOver = new HashSet<>();
        boolean changed = tx.executeWrite(status -> round(now, takenOver));
        takeovers.increment(takenOver.size());
        // Renewed up to now + ttl; stop a renewal period early, so a replica that can no longer renew stops
        // sending before another may take its installations over.
        validUntil = now.plus(ttl).minus(renewEvery);
        if (changed || !takenOver.isEmpty()) {
            events.publishEvent(new LeasesChanged(owner, owned.get().size(), Set.copyOf(takenOver)));
        }
        roundAtNextExpiry(now);
    }

    /**
     * A lease of another replica that runs out before the next round is looked at when it does: a dead replica's
     * installations are served again its ttl after its last renewal, not up to a renewal period later.
     */
    private void roundAtNextExpiry(Instant now) {
        if (timer == null || draining) {
            return;
        }
        leases.nextExpiryOfOthers(owner, now)
                .map(expiry -> Duration.between(clock.instant(), expiry).plus(EXPIRY_SLACK))
                .filter(wait -> wait.compareTo(renewEvery) < 0)
                .ifPresent(wait -> timer.schedule(this::balanceLogged, Math.max(0, wait.toMillis()), TimeUnit.MILLISECONDS));
    }

    /**
     * Whether this replica may still call out for the installation: it held the lease at its last renewal,
     * and that renewal is recent enough. The relay asks before every batch (a replica that paused or lost
     * the database past its lease must not go on sending beside the new owner).
     */
    public boolean holds(long installationId) {
        return !enabled || owned.get().contains(installationId) && clock.instant().isBefore(validUntil);
    }

    /** Shutdown began: take no more installations, only keep the held ones until {@link #releaseAll}. */
    public void stopTaking() {
        draining = true;
    }

    /** @return whether the set of held installations changed */
    private boolean round(Instant now, Set<Long> takenOver) {
        Instant until = now.plus(ttl);
        leases.renew(owner, now, until);
        if (draining) {
            return false;
        }
        leases.heartbeat(owner, name, until, now);
        if (!resumed) {
            resumeEarlierStarts(now, until, takenOver);
            resumed = true;
        }
        forgetInactive(now);
        int released = releaseIdle(leases.handingOver(owner, now), now);
        long live = Math.max(1, leases.liveReplicas(now));
        long fair = (leases.leasableInstallations() + live - 1) / live;
        long held = leases.held(owner, now);
        int taken = 0;
        int handingOver = 0;
        if (held < fair) {
            int wanted = (int) Math.min(Integer.MAX_VALUE, fair - held);
            taken = takeExpired(now, until, wanted, takenOver);
            if (taken < wanted) {
                taken += leases.takeUnleased(owner, now, until, wanted - taken);
            }
        } else if (held > fair) {
            handingOver = leases.startHandover(owner, now, (int) (held - fair));
        }
        List<Long> mine = leases.owned(owner, now);
        Set<Long> before = owned.getAndSet(Set.copyOf(mine));
        boolean changed = !before.equals(owned.get());
        if (taken > 0 || released > 0 || handingOver > 0 || changed) {
            LOG.info("event=leases_balanced owner={} replicas={} fairShare={} held={} taken={} handingOver={} released={}",
                    owner, live, fair, mine.size(), taken, handingOver, released);
        }
        return changed;
    }

    /**
     * Ends the leases among {@code installationIds} that have nothing of ours in flight. Plain reads, then one
     * update per lease: a subquery inside the UPDATE would lock the journal and outbox rows the workers update.
     */
    private int releaseIdle(List<Long> installationIds, Instant now) {
        int released = 0;
        for (long installationId : installationIds) {
            if (leases.inFlight(installationId, owner) == 0) {
                released += leases.release(installationId, owner, now);
            }
        }
        return released;
    }

    /** Disconnected installations need no owner; each lease goes once nothing of ours is in flight for it. */
    private void forgetInactive(Instant now) {
        for (long installationId : leases.inactive(owner, now)) {
            if (leases.inFlight(installationId, owner) == 0) {
                leases.forget(installationId, owner, now);
            }
        }
    }

    private int takeExpired(Instant now, Instant until, int limit, Set<Long> takenOver) {
        int taken = 0;
        for (InstallationLease expired : leases.lockExpired(now, limit)) {
            if (takeOver(expired, "", now, until)) {
                taken++;
                takenOver.add(expired.installationId());
            }
        }
        return taken;
    }

    /**
     * This replica's earlier start (same name) died and this one replaced it, as Kubernetes restarts a crashed
     * or OOM-killed container in the same pod: its leases are ours at once. An earlier start heard of after
     * this process started is alive (two processes were given one name): its leases are left to run out.
     */
    private void resumeEarlierStarts(Instant now, Instant until, Set<Long> takenOver) {
        for (Replica earlier : leases.earlierStarts(name, owner)) {
            Instant lastHeard = earlier.seenUntil().minus(ttl);
            if (lastHeard.isAfter(startedAt)) {
                LOG.warn("event=replica_name_in_use name={} other={} lastHeard={} hint=\"give each replica its own "
                        + "connector.instance-id\"", name, earlier.owner(), lastHeard);
                continue;
            }
            for (InstallationLease held : leases.lockHeldBy(earlier.owner())) {
                if (takeOver(held, earlier.owner(), now, until)) {
                    takenOver.add(held.installationId());
                }
            }
            leases.forgetReplica(earlier.owner());
        }
    }

    /** Takes one lease over, expired or (with {@code from}) held by an earlier start of this replica. */
    private boolean takeOver(InstallationLease lease, String from, Instant now, Instant until) {
        if (leases.takeOver(lease.installationId(), from, owner, now, until) != 1) {
            return false;
        }
        LOG.info("event=lease_taken_over installationId={} owner={} from={} resumed={}",
                lease.installationId(), owner, lease.owner(), !from.isEmpty());
        return true;
    }

    /**
     * Shutdown, after the workers stopped: our leases end now so the other replicas take them at once, except
     * those with work of ours still in flight (a drain cut short by its grace period), which end with their ttl.
     * Idempotent.
     */
    @PreDestroy
    public synchronized void releaseAll() {
        if (!enabled || releasedAll) {
            return;
        }
        if (timer != null) {
            timer.shutdown();
        }
        Instant now = clock.instant();
        int released = tx.executeWrite(status -> {
            leases.forgetReplicas(now.minus(ttl), owner);
            return releaseIdle(leases.owned(owner, now), now);
        });
        owned.set(Set.of());
        validUntil = Instant.MIN;
        releasedAll = true;
        LOG.info("event=leases_released owner={} count={}", owner, released);
    }
}
