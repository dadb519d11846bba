package com.pactcrm.connector.ops;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import java.util.Map;

/**
 * {@code /health/readiness} turns DOWN the moment a graceful shutdown starts, before anything else
 * stops, so a load balancer still probing this replica sends it nothing new.
 */
@Singleton
@Readiness
public class ShutdownReadinessIndicator extends AbstractHealthIndicator<Map<String, Object>> {

    private volatile boolean draining;

    public void markDraining() {
        draining = true;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        healthStatus = draining ? HealthStatus.DOWN : HealthStatus.UP;
        return Map.of("draining", draining);
    }

    @Override
    protected String getName() {
        return "shutdown";
    }
}
