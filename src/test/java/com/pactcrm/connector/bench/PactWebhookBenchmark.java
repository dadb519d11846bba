package com.pactcrm.connector.bench;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.TestInstallations;
import com.pactcrm.connector.testsupport.TestSql;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micronaut.context.ApplicationContext;
import io.micronaut.runtime.server.EmbeddedServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput benchmark of the Pact webhook receiver ({@code POST /pact/webhooks/{hookKey}}).
 *
 * <p>Default: starts the real service in-process (environment {@code benchmark}, embedded MariaDB
 * under {@code target/bench-db}, dispatcher and relay as in production), creates an installation,
 * measures the HTTP ceiling on {@code POST /bench/noop}, then posts distinct Pact "message delivered"
 * webhooks as fast as they are accepted, and reports accepted/s, ack latency, errors and how far the
 * dispatcher kept up. With {@code --url} and {@code --hook-key} it targets a running service instead.
 *
 * <pre>
 * ./mvnw -q -B test-compile exec:java@bench -Dexec.args="--seconds 20 --concurrency 32"
 * </pre>
 * (The {@code bench} execution in pom.xml sets the main class and the test class path; a plain
 * {@code exec:java} picks up the parent's exec:exec arguments and fails.)
 *
 * Options: {@code --seconds N} measured window (20), {@code --warmup N} (5), {@code --concurrency N}
 * client connections (32), {@code --drain N} seconds to wait at most for the backlog to drain after the window (120),
 * {@code --no-noop}, {@code --url URL --hook-key KEY [--noop-url URL]}.
 */
public final class PactWebhookBenchmark {

    private static final String FIXTURE = "message-update-delivered";
    private static final long MESSAGE_MARK = 918273645546372819L;
    private static final long CONVERSATION_MARK = 827364554637281910L;
    private static final int CONVERSATIONS = 1000;
    private static final String BENCH_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    private PactWebhookBenchmark() {
    }

    public static void main(String[] argv) throws Exception {
        Options o = Options.parse(argv);
        int cores = Runtime.getRuntime().availableProcessors();
        ApplicationContext context = null;
        try {
            URI base;
            String hookKey;
            URI noop;
            Journal journal;
            String mode;
            if (o.url == null) {
                Path dataDir = Path.of("target", "bench-db", "data").toAbsolutePath();
                Files.createDirectories(dataDir);
                Map<String, Object> properties = new HashMap<>();
                properties.put("micronaut.server.port", -1);
                properties.put("connector.embedded-db.data-dir", dataDir.toString());
                // A fresh schema per run in the same server files, so runs don't inherit a grown journal.
                properties.put("connector.embedded-db.database-per-context", true);
                properties.put("connector.encryption-key", BENCH_KEY);
                context = ApplicationContext.builder()
                        .environments("benchmark")
                        .deduceEnvironment(false)
                        .properties(properties)
                        .start();
                EmbeddedServer server = context.getBean(EmbeddedServer.class).start();
                Installation installation = context.getBean(TestInstallations.class).amoCrm(null);
                base = URI.create(server.getURL().toString());
                hookKey = installation.pactHookKey();
                noop = o.noNoop ? null : base.resolve("/bench/noop");
                journal = new SqlJournal(context.getBean(TestSql.class), installation.id(), context.getBean(MeterRegistry.class));
                mode = "in-process, embedded MariaDB " + dataDir;
            } else {
                base = URI.create(o.url);
                hookKey = o.hookKey;
                noop = o.noopUrl == null ? null : URI.create(o.noopUrl);
                journal = new PrometheusJournal(base);
                mode = "remote " + base;
            }
            run(o, cores, mode, base, hookKey, noop, journal);
        } finally {
            if (context != null) {
                context.close();
            }
        }
    }

    private static void run(Options o, int cores, String mode, URI base, String hookKey, URI noop, Journal journal)
            throws Exception {
        Duration warmup = Duration.ofSeconds(o.warmup);
        Duration measure = Duration.ofSeconds(o.seconds);

        LoadPhase.Result noopResult = null;
        Cpu noopCpu = null;
        if (noop != null) {
            Cpu.Snapshot before = Cpu.snapshot();
            noopResult = LoadPhase.run("noop", origin(noop), noop.getRawPath(), () -> new LoadPhase.Target() {
                private final byte[] body = LoadPhase.utf8(PactWebhooks.message(FIXTURE, 1L, 1L));

                @Override
                public byte[] nextBody() {
                    return body;
                }

                @Override
                public int classify(KeepAliveHttpConnection.Response r) {
                    return r.status() == 200 ? 1 : 0;
                }
            }, o.concurrency, warmup, measure);
            noopCpu = Cpu.since(before);
        }

        String template = PactWebhooks.message(FIXTURE, MESSAGE_MARK, CONVERSATION_MARK);
        AtomicLong messageIds = new AtomicLong(System.currentTimeMillis() * 1000); // distinct across runs
        long doneBefore = journal.done();
        Map<String, Double> countersBefore = journal.counters();
        Cpu.Snapshot before = Cpu.snapshot();
        // The counts below are taken right after the window; finishing in-flight requests takes ms.
        LoadPhase.Result ingest = LoadPhase.run("ingest", base, "/pact/webhooks/" + hookKey, () -> new LoadPhase.Target() {
            @Override
            public byte[] nextBody() {
                long id = messageIds.incrementAndGet();
                return LoadPhase.utf8(template.replace(Long.toString(MESSAGE_MARK), Long.toString(id))
                        .replace(Long.toString(CONVERSATION_MARK), Long.toString(7_000_000_000L + id % CONVERSATIONS)));
            }

            @Override
            public int classify(KeepAliveHttpConnection.Response r) {
                if (r.status() != 200) {
                    return 0;
                }
                String text = r.text();
                return text.contains("\"accepted\"") ? 1 : text.contains("\"duplicate\"") ? 2 : 0;
            }
        }, o.concurrency, warmup, measure);
        Cpu ingestCpu = Cpu.since(before);
        Map<String, Double> countersAfter = journal.counters();
        long doneAtEnd = journal.done();
        long backlogAtEnd = journal.backlog(ingest.ok() + ingest.warmupRequests(), doneAtEnd - doneBefore);

        long drainStart = System.nanoTime();
        long backlog = backlogAtEnd;
        long drainDeadline = drainStart + Duration.ofSeconds(o.drain).toNanos();
        while (backlog > 0 && System.nanoTime() < drainDeadline) {
            Thread.sleep(200);
            backlog = journal.backlog(ingest.ok() + ingest.warmupRequests(), journal.done() - doneBefore);
        }
        double drainSeconds = (System.nanoTime() - drainStart) / 1e9;

        StringBuilder out = new StringBuilder("\n");
        out.append("=== Pact webhook benchmark ===\n");
        out.append(String.format(Locale.ROOT, "machine  cores=%d  java=%s  maxHeap=%dMB  os=%s%n", cores,
                System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20, System.getProperty("os.name")));
        out.append(String.format(Locale.ROOT, "setup    %s  concurrency=%d  warmup=%ds  measured=%ds  keep-alive HTTP/1.1, client in the same machine%n",
                mode, o.concurrency, o.warmup, o.seconds));
        if (noopResult != null) {
            out.append(String.format(Locale.ROOT, "noop     req/s=%.0f       %s  errors=%d%s  %s%n",
                    noopResult.perSecond(), latencies(noopResult), noopResult.errors(), firstError(noopResult), noopCpu));
        } else {
            out.append(o.url == null ? "noop     (skipped: --no-noop)\n" : "noop     (skipped: no --noop-url)\n");
        }
        double accepted = (ingest.ok() - ingest.duplicates()) / ingest.seconds();
        out.append(String.format(Locale.ROOT, "ingest   accepted/s=%.0f  %s  errors=%d duplicates=%d%s  %s%n",
                accepted, latencies(ingest), ingest.errors(), ingest.duplicates(), firstError(ingest), ingestCpu));
        if (noopResult != null && noopResult.perSecond() > 0) {
            out.append(String.format(Locale.ROOT, "ratio    ingest/noop=%.1f%%%n", 100.0 * accepted / noopResult.perSecond()));
        }
        long processedInWindow = doneAtEnd - doneBefore;
        out.append(String.format(Locale.ROOT, "process  %s  processed=%d (%.0f/s while posting incl. warm-up)  backlog=%d at end of posting; "
                        + "%s%n",
                journal.describe(), processedInWindow, processedInWindow / (warmup.toMillis() / 1000.0 + ingest.seconds()),
                backlogAtEnd, backlogAtEnd == 0 ? "kept up" : backlog == 0
                        ? String.format(Locale.ROOT, "drained %.1fs later (%.0f/s without ingest load)", drainSeconds, backlogAtEnd / drainSeconds)
                        : String.format(Locale.ROOT, "backlog=%d still after %.0fs", backlog, drainSeconds)));
        if (!countersAfter.isEmpty()) {
            long posted = ingest.ok() + ingest.warmupRequests() + ingest.errors();
            double acks = countersAfter.getOrDefault("ack.count", 0.0) - countersBefore.getOrDefault("ack.count", 0.0);
            double ackMs = countersAfter.getOrDefault("ack.totalMs", 0.0) - countersBefore.getOrDefault("ack.totalMs", 0.0);
            out.append(String.format(Locale.ROOT, "server   handler time mean=%.2fms (connector.inbound.ack.latency, in the controller; the rest of p50 is queueing)%n",
                    acks == 0 ? Double.NaN : ackMs / acks));
            out.append(String.format(Locale.ROOT, "db       per posted webhook, whole server incl. dispatcher: selects=%.2f inserts=%.2f updates=%.2f commits=%.2f; "
                            + "row-lock waits=%.0f (%.0fms)%n",
                    delta(countersBefore, countersAfter, "Com_select") / posted, delta(countersBefore, countersAfter, "Com_insert") / posted,
                    delta(countersBefore, countersAfter, "Com_update") / posted, delta(countersBefore, countersAfter, "Com_commit") / posted,
                    delta(countersBefore, countersAfter, "Innodb_row_lock_waits"), delta(countersBefore, countersAfter, "Innodb_row_lock_time")));
        }
        System.out.print(out);
        System.out.flush();
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String key) {
        return after.getOrDefault(key, 0.0) - before.getOrDefault(key, 0.0);
    }

    private static String latencies(LoadPhase.Result r) {
        return String.format(Locale.ROOT, "p50=%.2fms p90=%.2fms p99=%.2fms max=%.1fms",
                r.percentileMillis(50), r.percentileMillis(90), r.percentileMillis(99), r.maxMillis());
    }

    private static String firstError(LoadPhase.Result r) {
        return r.firstError() == null ? "" : " (first: " + r.firstError() + ")";
    }

    private static URI origin(URI uri) {
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
    }

    /** Where the benchmark reads how many journaled events the dispatcher finished. */
    private interface Journal {
        long done() throws IOException;

        /** Events journaled but not yet DONE. */
        long backlog(long acceptedByUs, long doneSinceStart) throws IOException;

        String describe();

        /** Extra in-process evidence (DB statement counters, server-side handler time), or "" remotely. */
        default Map<String, Double> counters() {
            return Map.of();
        }
    }

    /** In-process: the journal rows of the benchmark's installation. */
    private record SqlJournal(TestSql sql, long installationId, MeterRegistry meters) implements Journal {
        @Override
        public long done() {
            return sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state = 'DONE'", installationId);
        }

        @Override
        public long backlog(long acceptedByUs, long doneSinceStart) {
            return sql.count("SELECT COUNT(*) FROM inbound_event WHERE installation_id = ? AND state IN ('NEW', 'PROCESSING')",
                    installationId);
        }

        @Override
        public String describe() {
            return "journal(inbound_event)";
        }

        @Override
        public Map<String, Double> counters() {
            Map<String, Double> c = new HashMap<>();
            for (var row : sql.query("SHOW GLOBAL STATUS WHERE Variable_name IN "
                    + "('Com_select', 'Com_insert', 'Com_update', 'Com_commit', 'Innodb_row_lock_waits', 'Innodb_row_lock_time')")) {
                c.put(row.get("variable_name").toString(), Double.parseDouble(row.get("value").toString()));
            }
            Timer ack = meters.find("connector.inbound.ack.latency").timer();
            if (ack != null) {
                c.put("ack.count", (double) ack.count());
                c.put("ack.totalMs", ack.totalTime(TimeUnit.MILLISECONDS));
            }
            return c;
        }
    }

    /** Remote: the service's own counter {@code connector_inbound_processed_total{outcome="done"}}; backlog is estimated. */
    private record PrometheusJournal(URI base) implements Journal {
        @Override
        public long done() throws IOException {
            try (KeepAliveHttpConnection c = new KeepAliveHttpConnection(origin(base))) {
                String text = c.get(base.getRawPath().replaceAll("/$", "") + "/prometheus").text();
                double sum = 0;
                for (String line : text.split("\n")) {
                    if (line.startsWith("connector_inbound_processed_total") && line.contains("outcome=\"done\"")) {
                        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    }
                }
                return (long) sum;
            }
        }

        @Override
        public long backlog(long acceptedByUs, long doneSinceStart) {
            return Math.max(0, acceptedByUs - doneSinceStart);
        }

        @Override
        public String describe() {
            return "prometheus(connector_inbound_processed_total, backlog estimated = our accepted - processed)";
        }
    }

    /**
     * CPU used during a phase: this JVM (service and load generator in-process; only the load generator
     * with --url), the embedded DB when this JVM started it, and the whole machine.
     */
    private record Cpu(double jvmCores, double dbCores, double machineBusyPercent) {

        record Snapshot(long wallNanos, long jvmNanos, long dbNanos, long[] machine) {
        }

        static Snapshot snapshot() {
            return new Snapshot(System.nanoTime(), jvmCpu(), dbCpu(), machineTicks());
        }

        static Cpu since(Snapshot s) {
            Snapshot now = snapshot();
            double wall = now.wallNanos() - s.wallNanos();
            double busy = Double.NaN;
            if (s.machine() != null && now.machine() != null) {
                double total = now.machine()[0] - s.machine()[0];
                busy = total <= 0 ? Double.NaN : 100.0 * (now.machine()[1] - s.machine()[1]) / total;
            }
            return new Cpu((now.jvmNanos() - s.jvmNanos()) / wall, (now.dbNanos() - s.dbNanos()) / wall, busy);
        }

        private static long jvmCpu() {
            if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
                return os.getProcessCpuTime();
            }
            return 0;
        }

        private static long dbCpu() {
            return ProcessHandle.current().descendants()
                    .filter(p -> p.info().command().map(c -> c.endsWith("mysqld") || c.endsWith("mariadbd")).orElse(false))
                    .map(p -> p.info().totalCpuDuration())
                    .flatMap(Optional::stream)
                    .mapToLong(Duration::toNanos)
                    .sum();
        }

        /** @return {total, busy} jiffies from /proc/stat, or null off Linux */
        private static long[] machineTicks() {
            try {
                List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
                String[] f = lines.get(0).trim().split("\\s+");
                long total = 0;
                for (int i = 1; i < f.length; i++) {
                    total += Long.parseLong(f[i]);
                }
                long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
                return new long[] {total, total - idle};
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "[cpu: this jvm=%.2f embedded db=%.2f cores, machine busy=%.0f%%]",
                    jvmCores, dbCores, machineBusyPercent);
        }
    }

    private static final class Options {
        int seconds = 20;
        int warmup = 5;
        int concurrency = 32;
        int drain = 120;
        boolean noNoop;
        String url;
        String hookKey;
        String noopUrl;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--seconds" -> o.seconds = Integer.parseInt(args[++i]);
                    case "--warmup" -> o.warmup = Integer.parseInt(args[++i]);
                    case "--concurrency" -> o.concurrency = Integer.parseInt(args[++i]);
                    case "--drain" -> o.drain = Integer.parseInt(args[++i]);
                    case "--no-noop" -> o.noNoop = true;
                    case "--url" -> o.url = args[++i];
                    case "--hook-key" -> o.hookKey = args[++i];
                    case "--noop-url" -> o.noopUrl = args[++i];
                    case "--help", "-h" -> {
                        System.out.println("options: --seconds N --warmup N --concurrency N --drain N --no-noop "
                                + "--url URL --hook-key KEY --noop-url URL");
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a + " (try --help)");
                }
            }
            if (o.url != null && o.hookKey == null) {
                throw new IllegalArgumentException("--url needs --hook-key");
            }
            if (o.seconds <= 0 || o.concurrency <= 0 || o.warmup < 0) {
                throw new IllegalArgumentException("--seconds and --concurrency must be positive");
            }
            return o;
        }
    }
}
