package com.pactcrm.connector.bench;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.retention.RetentionJob;
import com.pactcrm.connector.testsupport.TestInstallations;
import io.micronaut.context.ApplicationContext;
import io.micronaut.data.connection.jdbc.advice.DelegatingDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

/**
 * The retention job on a seeded database, with the hot path writing beside it.
 *
 * <p>Starts the service's context on the embedded MariaDB (under {@code target/bench-db}, a fresh schema per run;
 * dispatcher, relay and the scheduled retention off), seeds {@code --webhooks N} webhooks' worth of rows as the service
 * leaves them (per webhook: a processed journal event with a 1 KB body, a delivered command, two sync-log lines and a
 * message link, half of them in linked conversations: 5 N rows), {@code --old-fraction} of them 15–45 days old and the
 * rest younger than 14 days, oldest first. Then it writes as the hot path does ({@code --hot-rate} webhooks/s: insert
 * an event, mark it done, insert a command, mark it delivered, add a sync-log line, each its own transaction) for 10 s
 * alone, and again while the job runs, and prints the job's figures (rows deleted per policy, rows/s, its longest
 * DELETE) and the hot path's latency in both phases: what the deletes made it wait.
 *
 * <pre>
 * ./mvnw -q -B test-compile exec:java@retention-bench -Dexec.args="--webhooks 200000"
 * </pre>
 * Options: {@code --webhooks N} (200000, i.e. 1,000,000 rows), {@code --old-fraction F} (0.8), {@code --batch-size N}
 * (500), {@code --pause-ms N} (20), {@code --hot-rate N} (100).
 */
public final class RetentionBenchmark {

    private static final String BENCH_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static final String BODY = "{\"event\":\"message\",\"data\":{\"text\":\"" + "x".repeat(1000) + "\"}}";
    private static final String PAYLOAD = "{\"messageId\":1,\"status\":\"READ\",\"text\":\"" + "y".repeat(350) + "\"}";

    private RetentionBenchmark() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> o = options(argv);
        int webhooks = Integer.parseInt(o.getOrDefault("webhooks", "200000"));
        double oldFraction = Double.parseDouble(o.getOrDefault("old-fraction", "0.8"));
        int hotRate = Integer.parseInt(o.getOrDefault("hot-rate", "100"));
        Path dataDir = Path.of("target", "bench-db", "data").toAbsolutePath();
        Files.createDirectories(dataDir);
        Map<String, Object> properties = new HashMap<>();
        properties.put("micronaut.server.port", -1);
        properties.put("connector.embedded-db.data-dir", dataDir.toString());
        properties.put("connector.embedded-db.database-per-context", true);
        properties.put("connector.encryption-key", BENCH_KEY);
        properties.put("connector.dispatcher.enabled", false);
        properties.put("connector.relay.enabled", false);
        properties.put("connector.retention.initial-delay", "1000h");
        properties.put("connector.retention.batch-size", o.getOrDefault("batch-size", "500"));
        properties.put("connector.retention.pause", o.getOrDefault("pause-ms", "20") + "ms");
        try (ApplicationContext context = ApplicationContext.builder().environments("benchmark").deduceEnvironment(false)
                .properties(properties).start()) {
            DataSource db = DelegatingDataSource.unwrapDataSource(context.getBean(DataSource.class));
            Installation installation = context.getBean(TestInstallations.class).amoCrm(null);
            Instant now = Instant.now();

            long seedStart = System.nanoTime();
            seed(db, installation.id(), webhooks, oldFraction, now);
            System.out.printf("seeded %,d webhooks = %,d rows in %.1f s; %s%n", webhooks, 5L * webhooks,
                    (System.nanoTime() - seedStart) / 1e9, sizes(db));

            HotPath hot = new HotPath(db, installation.id(), hotRate);
            List<Long> baseline = hot.runFor(Duration.ofSeconds(10));
            RetentionJob job = context.getBean(RetentionJob.class);
            AtomicBoolean running = new AtomicBoolean(true);
            List<Long> during = Collections.synchronizedList(new ArrayList<>());
            Thread writer = new Thread(() -> during.addAll(hot.runWhile(running)), "hot-path");
            writer.start();
            RetentionJob.Run run = job.run(now);
            running.set(false);
            writer.join();

            System.out.printf("retention: deleted %,d rows in %.1f s = %,.0f rows/s; longest DELETE %d ms; per policy %s%n",
                    run.total(), run.took().toMillis() / 1e3, run.total() / (run.took().toMillis() / 1e3),
                    run.longestBatch().toMillis(), run.deleted());
            System.out.printf("hot path (%d webhooks/s, 5 statements each), ms: alone %s; during retention %s%n", hotRate,
                    percentiles(baseline), percentiles(during));
            System.out.printf("after: %s%n", sizes(db));
        }
    }

    /** Oldest first, as the service writes them, so ids follow time. */
    private static void seed(DataSource db, long installationId, int webhooks, double oldFraction, Instant now) throws Exception {
        int old = (int) (webhooks * oldFraction);
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            // Half of the 1,000 conversations are linked: their message links stay.
            try (PreparedStatement link = c.prepareStatement("INSERT INTO conversation_link (installation_id, pact_conversation_id, "
                    + "crm_entity_type, crm_entity_id) VALUES (?, ?, 'lead', ?)")) {
                for (int conversation = 0; conversation < 1000; conversation += 2) {
                    link.setLong(1, installationId);
                    link.setLong(2, conversation);
                    link.setString(3, Integer.toString(conversation));
                    link.addBatch();
                }
                link.executeBatch();
            }
            try (PreparedStatement event = c.prepareStatement("INSERT INTO inbound_event (installation_id, source, dedupe_key, body, "
                    + "state, next_attempt_at, received_at, processed_at, outcome) VALUES (?, 'PACT', ?, ?, 'DONE', ?, ?, ?, 'done')");
                 PreparedStatement command = c.prepareStatement("INSERT INTO outbox_command (installation_id, target, kind, "
                         + "idempotency_key, payload, state, next_attempt_at, origin_at, created_at, done_at) "
                         + "VALUES (?, 'CRM', 'CRM_MESSAGE_STATUS', ?, ?, 'DONE', ?, ?, ?, ?)");
                 PreparedStatement log = c.prepareStatement("INSERT INTO sync_log (installation_id, at, kind, outcome, detail) "
                         + "VALUES (?, ?, ?, 'DONE', 'message 2073572301 READ; 1 CRM command(s) queued')");
                 PreparedStatement message = c.prepareStatement("INSERT INTO message_link (installation_id, pact_message_id, "
                         + "pact_conversation_id, status, text_preview, created_at) VALUES (?, ?, ?, 'READ', 'Olá, tudo bem?', ?)")) {
                for (int i = 0; i < webhooks; i++) {
                    Instant at = i < old
                            ? now.minus(Duration.ofDays(45)).plusMillis((long) i * Duration.ofDays(30).toMillis() / Math.max(1, old))
                            : now.minus(Duration.ofDays(13)).plusMillis((long) (i - old) * Duration.ofDays(13).toMillis()
                            / Math.max(1, webhooks - old));
                    Timestamp t = Timestamp.from(at);
                    event.setLong(1, installationId);
                    event.setString(2, "bench-" + i);
                    event.setString(3, BODY);
                    event.setTimestamp(4, t);
                    event.setTimestamp(5, t);
                    event.setTimestamp(6, t);
                    event.addBatch();
                    command.setLong(1, installationId);
                    command.setString(2, "status:" + i);
                    command.setString(3, PAYLOAD);
                    command.setTimestamp(4, t);
                    command.setTimestamp(5, t);
                    command.setTimestamp(6, t);
                    command.setTimestamp(7, t);
                    command.addBatch();
                    for (String kind : new String[] {"EVENT_PROCESSED", "CRM_MESSAGE_STATUS"}) {
                        log.setLong(1, installationId);
                        log.setTimestamp(2, t);
                        log.setString(3, kind);
                        log.addBatch();
                    }
                    message.setLong(1, installationId);
                    message.setLong(2, i);
                    message.setLong(3, i % 1000);
                    message.setTimestamp(4, t);
                    message.addBatch();
                    if (i % 2000 == 1999 || i == webhooks - 1) {
                        event.executeBatch();
                        command.executeBatch();
                        log.executeBatch();
                        message.executeBatch();
                        c.commit();
                    }
                }
            }
        }
    }

    private static String sizes(DataSource db) throws Exception {
        StringBuilder out = new StringBuilder();
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            for (String table : new String[] {"inbound_event", "outbox_command", "sync_log", "message_link"}) {
                try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
                    rs.next();
                    out.append(table).append(' ').append(String.format("%,d", rs.getLong(1))).append("  ");
                }
            }
        }
        return out.toString().strip();
    }

    private static String percentiles(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return "no samples";
        }
        return String.format("n=%d p50=%.1f p99=%.1f max=%.1f", sorted.size(), sorted.get(sorted.size() / 2) / 1e6,
                sorted.get((int) (sorted.size() * 0.99)) / 1e6, sorted.get(sorted.size() - 1) / 1e6);
    }

    private static Map<String, String> options(String[] argv) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            o.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        return o;
    }

    /** The writes one webhook causes, each its own transaction as in the service, at a fixed rate; the latency of each webhook's five. */
    private static final class HotPath {
        private final DataSource db;
        private final long installationId;
        private final long intervalNanos;
        private long next;

        HotPath(DataSource db, long installationId, int perSecond) {
            this.db = db;
            this.installationId = installationId;
            this.intervalNanos = 1_000_000_000L / perSecond;
        }

        List<Long> runFor(Duration duration) {
            AtomicBoolean running = new AtomicBoolean(true);
            Thread stopper = new Thread(() -> {
                try {
                    Thread.sleep(duration.toMillis());
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                running.set(false);
            });
            stopper.start();
            return runWhile(running);
        }

        List<Long> runWhile(AtomicBoolean running) {
            List<Long> latencies = new ArrayList<>();
            long deadline = System.nanoTime();
            while (running.get()) {
                deadline += intervalNanos;
                long start = System.nanoTime();
                try (Connection c = db.getConnection()) {
                    c.setAutoCommit(true);
                    Timestamp now = Timestamp.from(Instant.now());
                    long id = insert(c, "INSERT INTO inbound_event (installation_id, source, dedupe_key, body, state, next_attempt_at, "
                            + "received_at) VALUES (?, 'PACT', ?, ?, 'NEW', ?, ?)", installationId, "hot-" + next++, BODY, now, now);
                    update(c, "UPDATE inbound_event SET state = 'DONE', processed_at = ? WHERE id = ?", now, id);
                    long command = insert(c, "INSERT INTO outbox_command (installation_id, target, kind, idempotency_key, payload, "
                            + "state, next_attempt_at, origin_at) VALUES (?, 'CRM', 'CRM_MESSAGE_STATUS', ?, ?, 'PENDING', ?, ?)",
                            installationId, "hot-" + id, PAYLOAD, now, now);
                    update(c, "UPDATE outbox_command SET state = 'DONE', done_at = ? WHERE id = ?", now, command);
                    insert(c, "INSERT INTO sync_log (installation_id, kind, outcome) VALUES (?, 'EVENT_PROCESSED', 'DONE')",
                            installationId);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                latencies.add(System.nanoTime() - start);
                long sleep = deadline - System.nanoTime();
                if (sleep > 0) {
                    try {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            return latencies;
        }

        private static long insert(Connection c, String sql, Object... args) throws Exception {
            try (PreparedStatement ps = c.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
                bind(ps, args);
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        }

        private static void update(Connection c, String sql, Object... args) throws Exception {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                bind(ps, args);
                ps.executeUpdate();
            }
        }

        private static void bind(PreparedStatement ps, Object... args) throws Exception {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
        }
    }
}
