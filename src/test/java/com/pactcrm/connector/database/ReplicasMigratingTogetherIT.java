package com.pactcrm.connector.database;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.testsupport.ServiceProcess;
import com.pactcrm.connector.testsupport.TestSql;
import io.micronaut.context.ApplicationContext;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Replicas that start together on a schema Flyway has not migrated yet (a first deployment, or a rollout bringing a
 * migration) each migrate before they serve, and the migrations run once: micronaut-flyway migrates as the pool is
 * created, and Flyway holds MySQL's named lock around it (README "Database migrations with several replicas").
 */
@MicronautTest(transactional = false)
class ReplicasMigratingTogetherIT {

    private static final int REPLICAS = 3;

    @Inject
    TestSql sql;

    @Test
    void replicasStartingTogetherOnAnEmptySchemaAllStartAndApplyEachMigrationOnce() throws Exception {
        String schema = "replicas_" + ProcessHandle.current().pid() + "_" + System.nanoTime();
        sql.update("CREATE DATABASE `" + schema + "`");
        Map<String, String> properties = ServiceProcess.onDatabase(
                sql.jdbcUrl().replaceFirst("/[^/?]+(?=\\?|$)", "/" + schema), Map.of(
                        "connector.dispatcher.enabled", "false",
                        "connector.relay.enabled", "false",
                        "connector.lease.enabled", "false"));
        ExecutorService threads = Executors.newFixedThreadPool(REPLICAS);
        CountDownLatch together = new CountDownLatch(1);
        List<Future<ApplicationContext>> starts = new ArrayList<>();
        try {
            for (int i = 0; i < REPLICAS; i++) {
                starts.add(threads.submit(() -> {
                    together.await();
                    return ApplicationContext.run(new LinkedHashMap<>(properties), "test");
                }));
            }
            together.countDown();
            for (Future<ApplicationContext> start : starts) {
                assertTrue(start.get(3, TimeUnit.MINUTES).isRunning());
            }

            List<Map<String, Object>> history = sql.query("SELECT version, success FROM `" + schema
                    + "`.flyway_schema_history WHERE version IS NOT NULL");
            assertTrue(history.size() > 1, history.toString());
            assertEquals(history.size(), history.stream().map(r -> r.get("version")).distinct().count(),
                    "each migration applied once: " + history);
            assertTrue(history.stream().allMatch(r -> Boolean.TRUE.equals(r.get("success"))), history.toString());
        } finally {
            threads.shutdown();
            threads.awaitTermination(3, TimeUnit.MINUTES);
            for (Future<ApplicationContext> start : starts) {
                try {
                    start.get().close();
                } catch (ExecutionException failedToStart) {
                    // nothing to close; the assertion above reports it
                }
            }
            sql.update("DROP DATABASE `" + schema + "`");
        }
    }
}
