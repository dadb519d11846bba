package com.pactcrm.connector.sync;

import com.pactcrm.connector.ops.ShutdownReadinessIndicator;
import com.pactcrm.connector.sync.inbound.InboundDispatcher;
import com.pactcrm.connector.sync.lease.InstallationLeases;
import com.pactcrm.connector.sync.outbox.OutboxRelay;
import io.micronaut.context.BeanProvider;
import io.micronaut.runtime.graceful.GracefulShutdownCapable;
import jakarta.inject.Singleton;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order of a graceful shutdown (SIGTERM; {@code micronaut.lifecycle.graceful-shutdown}): readiness
 * goes DOWN first; then the dispatcher and the relay stop claiming, finish what they hold (up to
 * {@code connector.shutdown-grace}) and give back what they claimed but did not start; only then are
 * the installation leases released, so another replica takes them over at once and never while work
 * of ours is still in flight.
 */
@Singleton
public class SyncShutdown implements GracefulShutdownCapable {

    private static final Logger LOG = LoggerFactory.getLogger(SyncShutdown.class);

    private final ShutdownReadinessIndicator readiness;
    private final BeanProvider<InboundDispatcher> dispatcher;
    private final BeanProvider<OutboxRelay> relay;
    private final InstallationLeases leases;

    public SyncShutdown(ShutdownReadinessIndicator readiness, BeanProvider<InboundDispatcher> dispatcher,
                        BeanProvider<OutboxRelay> relay, InstallationLeases leases) {
        this.readiness = readiness;
        this.dispatcher = dispatcher;
        this.relay = relay;
        this.leases = leases;
    }

    @Override
    public CompletionStage<?> shutdownGracefully() {
        readiness.markDraining();
        leases.stopTaking();
        LOG.info("event=shutdown_started owner={}", leases.owner());
        CompletableFuture<Void> dispatching = dispatcher.isPresent()
                ? CompletableFuture.runAsync(() -> dispatcher.get().drain()) : CompletableFuture.completedFuture(null);
        CompletableFuture<Void> relaying = relay.isPresent()
                ? CompletableFuture.runAsync(() -> relay.get().drain()) : CompletableFuture.completedFuture(null);
        return CompletableFuture.allOf(dispatching, relaying)
                .thenRun(leases::releaseAll)
                .whenComplete((done, error) -> {
                    if (error != null) {
                        LOG.error("event=shutdown_failed error=\"{}\"", error.toString(), error);
                    } else {
                        LOG.info("event=shutdown_drained owner={}", leases.owner());
                    }
                });
    }
}
