package com.pactcrm.connector.ops.retention;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.annotation.PreDestroy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the sync rows older than {@link RetentionConfiguration} keeps them (the journal, the outbox, the sync log,
 * message links of unlinked conversations), which otherwise grow about 2.2 KB per webhook for ever, and what the card
 * and the unanswered-client tasks leave behind (see {@link Purge#all}). One replica at a time: the run holds a named
 * database lock ({@code GET_LOCK}), and a replica that finds it taken skips its turn. The deletes are batches of
 * {@code batch-size} rows, each its own transaction at READ COMMITTED (no gap locks) with a pause between them, walking
 * the (state, id) indexes the claims already use or windows of a primary key, so the webhook and relay writes never
 * wait for more than one batch. No migration: no index is added to the hot tables (see {@link IdBoundary}).
 */
// Created with the context, not at its first run: its meters are in the scrape from the start.
@Context
@Requires(property = "connector.retention.enabled", notEquals = "false")
public class RetentionJob {

    private static final Logger LOG = LoggerFactory.getLogger(RetentionJob.class);
    /** Named locks are server-wide: the schema's name keeps two deployments on one MySQL server apart. */
    static final String LOCK_NAME = "LEFT(CONCAT('pact_connector_retention:', DATABASE()), 64)";

    /** What one run did: rows deleted per purge, and its longest DELETE (what a concurrent write could have waited). */
    public record Run(boolean ran, Map<String, Long> deleted, Duration took, Duration longestBatch) {
        public long total() {
            return deleted.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final DataSource dataSource;
    private final RetentionConfiguration config;
    private final Clock clock;
    private final List<Purge> purges;
    private final Map<String, Counter> deleted = new LinkedHashMap<>();
    private final Map<String, Counter> runs = new LinkedHashMap<>();
    private final Timer runTime;
    private volatile boolean stopping;

    public RetentionJob(DataSource dataSource, RetentionConfiguration config, Clock clock, MeterRegistry meters) {
        this.dataSource = DelegatingDataSource.unwrapDataSource(dataSource);
        this.config = config;
        this.clock = clock;
        this.purges = Purge.all(config);
        // Every series at zero from the start, so an alert's increase() sees the first one.
        for (Purge purge : purges) {
            deleted.put(purge.name(), Counter.builder("connector.retention.deleted").tag("policy", purge.name())
                    .description("rows deleted by the retention job").register(meters));
        }
        for (String outcome : List.of("done", "skipped", "failed")) {
            runs.put(outcome, Counter.builder("connector.retention.runs").tag("outcome", outcome)
                    .description("retention runs: done, skipped (another replica held the lock), failed").register(meters));
        }
        runTime = Timer.builder("connector.retention.run").description("duration of retention runs").register(meters);
    }

    @Scheduled(fixedDelay = "${connector.retention.every:1h}", initialDelay = "${connector.retention.initial-delay:5m}")
    void scheduled() {
        try {
            run(clock.instant());
        } catch (RuntimeException e) {
            LOG.error("event=retention_failed error=\"{}\"", e.toString(), e);
        }
    }

    /** Deletes what was old at {@code now}; does nothing when another replica is running it. */
    public Run run(Instant now) {
        long start = System.nanoTime();
        Map<String, Long> counts = new LinkedHashMap<>();
        long[] longestBatch = {0};
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            if (!lock(c)) {
                runs.get("skipped").increment();
                LOG.debug("event=retention_skipped reason=\"another replica holds the lock\"");
                return new Run(false, counts, Duration.ZERO, Duration.ZERO);
            }
            try {
                for (Purge purge : purges) {
                    if (stopping) {
                        break;
                    }
                    counts.put(purge.name(), purge(c, purge, now.minus(purge.age()), longestBatch));
                }
            } finally {
                release(c);
            }
        } catch (SQLException e) {
            runs.get("failed").increment();
            throw new IllegalStateException("retention run failed: " + e.getMessage(), e);
        }
        long nanos = System.nanoTime() - start;
        runTime.record(nanos, TimeUnit.NANOSECONDS);
        runs.get("done").increment();
        Run run = new Run(true, counts, Duration.ofNanos(nanos), Duration.ofNanos(longestBatch[0]));
        LOG.info("event=retention_done deleted={} durationMs={} longestBatchMs={} detail=\"{}\"", run.total(),
                run.took().toMillis(), run.longestBatch().toMillis(), counts);
        return run;
    }

    /** Stops a run in progress between two batches: a shutdown does not wait for a long purge. */
    @PreDestroy
    void stop() {
        stopping = true;
    }

    private long purge(Connection c, Purge purge, Instant cutoff, long[] longestBatch) throws SQLException {
        long boundary = purge.arrivalColumn() == null ? 0 : IdBoundary.find(c, purge.table(), purge.arrivalColumn(), cutoff);
        return purge.walksWindows() ? deleteWindows(c, purge, boundary, cutoff, longestBatch)
                : deleteBatches(c, purge, boundary, cutoff, longestBatch);
    }

    private long deleteBatches(Connection c, Purge purge, long boundary, Instant cutoff, long[] longestBatch) throws SQLException {
        long total = 0;
        try (PreparedStatement delete = c.prepareStatement(purge.deleteBatch())) {
            while (!stopping) {
                delete.setLong(1, boundary);
                delete.setTimestamp(2, Timestamp.from(cutoff));
                delete.setInt(3, config.batchSize());
                long batchStart = System.nanoTime();
                int n = delete.executeUpdate();
                longestBatch[0] = Math.max(longestBatch[0], System.nanoTime() - batchStart);
                total += n;
                deleted.get(purge.name()).increment(n);
                if (n < config.batchSize()) {
                    break;
                }
                pause();
            }
        }
        return total;
    }

    /**
     * For a purge that keeps some old rows, or whose key does not follow arrival: walks the primary key (below the
     * boundary, when it has one) a window at a time, never twice.
     */
    private long deleteWindows(Connection c, Purge purge, long boundary, Instant cutoff, long[] longestBatch) throws SQLException {
        long total = 0;
        // Before every key: ids and installation ids start at 1.
        long[] after = new long[purge.key().size()];
        try (PreparedStatement window = c.prepareStatement(purge.window());
             PreparedStatement delete = c.prepareStatement(purge.deleteInWindow())) {
            while (!stopping) {
                int p = purge.bindKey(window, 1, after);
                if (purge.arrivalColumn() != null) {
                    window.setLong(p++, boundary);
                }
                window.setInt(p, config.batchSize());
                int rows = 0;
                long[] last = new long[after.length];
                try (ResultSet rs = window.executeQuery()) {
                    while (rs.next()) {
                        rows++;
                        for (int i = 0; i < last.length; i++) {
                            last[i] = rs.getLong(i + 1);
                        }
                    }
                }
                if (rows == 0) {
                    break;
                }
                p = purge.bindKey(delete, purge.bindKey(delete, 1, after), last);
                delete.setTimestamp(p, Timestamp.from(cutoff));
                long batchStart = System.nanoTime();
                int n = delete.executeUpdate();
                longestBatch[0] = Math.max(longestBatch[0], System.nanoTime() - batchStart);
                total += n;
                deleted.get(purge.name()).increment(n);
                after = last;
                if (rows < config.batchSize()) {
                    break;
                }
                pause();
            }
        }
        return total;
    }

    private void pause() {
        try {
            Thread.sleep(config.pause().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    /** MySQL's and MariaDB's named lock, held by this connection's session; 0: never wait for it. */
    private static boolean lock(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT GET_LOCK(" + LOCK_NAME + ", 0)")) {
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getInt(1) == 1;
            }
        }
    }

    private static void release(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT RELEASE_LOCK(" + LOCK_NAME + ")")) {
            ps.execute();
        }
    }
}
