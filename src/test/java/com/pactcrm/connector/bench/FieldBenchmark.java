package com.pactcrm.connector.bench;

import com.pactcrm.connector.bench.FieldMeasurement.Chain;
import com.pactcrm.connector.bench.FieldTarget.FieldMessage;
import com.pactcrm.connector.testsupport.ServiceProcess;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * The field benchmark of issue 10: the service as its own process(es), every timing its production default,
 * against the project's stateful fakes with the providers' real limits (amoCRM 7 requests/s per account and the
 * block after repeated 429s; Bitrix24's leaky bucket of 50 draining 2/s), with Pact's webhooks posted over HTTP as
 * Pact sends them. It prints, per case and run: timeline entries per CRM call, drain time over the physical
 * minimum (amoCRM N/350 s, Bitrix24 N/100 s: 7 or 2 requests a second of 50 entries), the busiest second of
 * arrivals at the fake, 429/503 (and 403) counts, freshness p50/p95 (webhook accepted → the CRM write that shows
 * it), entries missing (lost), duplicated or stale, and for restarts the seconds to the first CRM call. It asserts nothing.
 *
 * <pre>
 * ./mvnw -q -B test-compile exec:java@field-bench -Dexec.args="--case a --runs 1"
 * </pre>
 * Options: {@code --case a|b|c|d|e|all} (or a list, {@code a,b}), {@code --runs N} (1), {@code --max-wait S}, the
 * longest any wait for a timeline to complete lasts (330: past the relay's 300 s claim lease, so commands a killed
 * replica held still show up), {@code --latency MIN-MAX} in ms for the fakes of every case (case c: 100-400 unless
 * given), {@code --seed N} (20261124), {@code --no-echo} (amoCRM's notes webhook is not posted back).
 * The service processes log to {@code target/field-bench-*.log}.
 */
public final class FieldBenchmark {

    private static final Map<Character, String> TITLES = new LinkedHashMap<>();

    static {
        TITLES.put('a', "(a) a burst of 1,000 statuses (operator messages sent, history off), then 20 messages paced "
                + "at 1/s (sent, delivered +2 s, read +5 s) without backlog");
        TITLES.put('b', "(b) 1,000 messages with history on (Bitrix24: 500), each sent, delivered and read back to back: "
                + "a status entry edited in place and a history entry per message");
        TITLES.put('c', "(c) 30 % faults at the CRMs: 40 messages each with history on, paced at 5/s (delivered +2 s, "
                + "read +5 s), amoCRM and Bitrix24 at once");
        TITLES.put('d', "(d) kill -9 three times during a 3,000-event load on one replica (amoCRM, 1,000 messages sent, "
                + "delivered, read; one message every 60 ms)");
        TITLES.put('e', "(e) three replicas on one database, six amoCRM accounts at 1 message/s each, one replica "
                + "killed; its installations served again after");
    }

    private static final Duration RESTART_PATIENCE = Duration.ofSeconds(150);
    /** The account a warm-up loads: a host of its own (127.0.0.19), clear of the accounts cases load (from 127.0.0.10). */
    private static final int WARM_UP_ACCOUNT = 9;
    private static final int WARM_UP_ROUNDS = 3;

    private final Options options;

    private FieldBenchmark(Options options) {
        this.options = options;
    }

    /** One case's run: its rows and what else it measured, in words. */
    private record CaseRun(List<FieldRow> rows, List<String> notes) {
    }

    public static void main(String[] argv) throws Exception {
        Options o = Options.parse(argv);
        System.out.printf(Locale.ROOT, "%n=== Field benchmark (issue 10) — %s ===%n", Instant.now());
        System.out.printf(Locale.ROOT, "machine  cores=%d  java=%s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"));
        System.out.println("service  separate process(es), production timings (application.yml defaults), embedded MariaDB; "
                + "webhooks over HTTP, a failed post retried every 250 ms");
        System.out.println("columns  entries: timeline entries the load asks for; calls: requests at the CRM fake (any "
                + "answer); entr/call: entries there at the end / calls; writes: entries created or edited; post: first webhook → last accepted; drain: first webhook → the write "
                + "completing the timeline; ÷min: drain / physical minimum (amoCRM N/350 s, Bitrix24 N/100 s), '—' for a "
                + "paced load; busy1s: most arrivals in any second; p50/p95: webhook accepted → CRM write showing it; "
                + "missing/dup/stale: entries not there (lost unless pending), extra copies, behind their latest status; pending: "
                + "outbox commands left; '>': unfinished when the wait ran out");
        FieldBenchmark bench = new FieldBenchmark(o);
        for (char c : o.cases.toCharArray()) {
            List<FieldRow> rows = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            for (int run = 1; run <= o.runs; run++) {
                System.err.printf(Locale.ROOT, "field-bench: case %s run %d of %d started at %s%n", c, run, o.runs, Instant.now());
                CaseRun result = bench.run(c, run);
                rows.addAll(result.rows());
                notes.addAll(result.notes());
            }
            print(c, o, rows, notes);
        }
    }

    private CaseRun run(char c, int run) throws Exception {
        return switch (c) {
            case 'a' -> caseA(run);
            case 'b' -> caseB(run);
            case 'c' -> caseC(run);
            case 'd' -> caseD(run);
            case 'e' -> caseE(run);
            default -> throw new IllegalArgumentException("no case " + c);
        };
    }

    /**
     * Each CRM on a rig and a service of its own: what one installation leaves unfinished must not hold up the
     * other's figures (the relay serves installations oldest work first).
     */
    private CaseRun caseA(int run) throws Exception {
        List<FieldRow> rows = new ArrayList<>();
        for (String crm : FieldRig.CRMS) {
            try (FieldRig rig = new FieldRig("a" + run + "-" + crm, options.conditions('a', run), options.echo)) {
                rig.startService("service");
                warmUp(rig);
                FieldTarget target = rig.target(crm, false, 10);
                List<FieldMessage> burst = target.messages(1000);
                rows.add(measure(rig, target, run + " burst", burst, FieldMeasurement.burst(target, burst, 0), false, true));
                List<FieldMessage> steady = target.messages(20);
                rows.add(measure(rig, target, run + " steady", steady, FieldMeasurement.paced(target, steady, 1000), false, false));
            }
        }
        return new CaseRun(rows, List.of());
    }

    private CaseRun caseB(int run) throws Exception {
        List<FieldRow> rows = new ArrayList<>();
        for (String crm : FieldRig.CRMS) {
            try (FieldRig rig = new FieldRig("b" + run + "-" + crm, options.conditions('b', run), options.echo)) {
                rig.startService("service");
                warmUp(rig);
                FieldTarget target = rig.target(crm, true, 10);
                List<FieldMessage> messages = target.messages("amocrm".equals(crm) ? 1000 : 500);
                rows.add(measure(rig, target, run + " burst", messages, FieldMeasurement.burst(target, messages, 0, 1, 2), true, true));
            }
        }
        return new CaseRun(rows, List.of());
    }

    private CaseRun caseC(int run) throws Exception {
        FieldRig.Conditions conditions = options.conditions('c', run);
        try (FieldRig rig = new FieldRig("c" + run, conditions, options.echo)) {
            rig.startService("service");
            List<FieldTarget> targets = List.of(rig.target("amocrm", true, 10), rig.target("bitrix24", true, 10));
            rig.injectFaults();
            List<FieldMeasurement> loads = new ArrayList<>();
            for (FieldTarget target : targets) {
                List<FieldMessage> messages = target.messages(40);
                loads.add(new FieldMeasurement(rig, target, messages, FieldMeasurement.paced(target, messages, 200), true, false));
            }
            List<FieldRow> rows = new ArrayList<>();
            for (FieldMeasurement load : loads) {
                load.awaitCompletion(options.maxWait);
                rows.add(load.row(run + " faults"));
            }
            return new CaseRun(rows, List.of(String.format(Locale.ROOT, "run %d: seed %d; calls failed: %s", run,
                    conditions.seed(), rig.faultsInjected())));
        }
    }

    private CaseRun caseD(int run) throws Exception {
        List<String> notes = new ArrayList<>();
        try (FieldRig rig = new FieldRig("d" + run, options.conditions('d', run), options.echo)) {
            // One replica restarted in place: the same name each time, as a container restarted in its pod.
            ServiceProcess life = rig.startService("service", "life1");
            FieldTarget.AmoCrmAccount amo = rig.amoAccount(0, false, 10);
            List<FieldMessage> messages = amo.messages(1000);
            FieldMeasurement load = new FieldMeasurement(rig, amo, messages, FieldMeasurement.paced(amo, messages, 60), false, false);
            boolean lastRestartServed = true;
            for (int kill = 1; kill <= 3; kill++) {
                int acceptedBeforeKill = kill * 750;
                boolean lastServed = lastRestartServed;
                if (!await(options.maxWait,
                        () -> statusWebhooksAccepted(rig) >= acceptedBeforeKill && lastServed)) {
                    notes.add(String.format(Locale.ROOT, "run %d kill %d: the load never reached %d accepted webhooks", run,
                            kill, acceptedBeforeKill));
                }
                rig.kill(life);
                long restartedAt = System.nanoTime();
                life = rig.startService("service", "life" + (kill + 1));
                long healthyAt = System.nanoTime();
                long firstCall = firstArrivalAfter(amo, restartedAt, RESTART_PATIENCE);
                lastRestartServed = firstCall != Long.MIN_VALUE;
                notes.add(lastRestartServed
                        ? String.format(Locale.ROOT, "run %d restart %d (kill -9 at %d webhooks accepted): first CRM call %.1f s after "
                                + "the process started, %.1f s after it was healthy (healthy %.1f s after start)", run, kill,
                                acceptedBeforeKill, (firstCall - restartedAt) / 1e9, (firstCall - healthyAt) / 1e9,
                                (healthyAt - restartedAt) / 1e9)
                        : String.format(Locale.ROOT, "run %d restart %d: no CRM call within %d s of the process start", run, kill,
                                RESTART_PATIENCE.toSeconds()));
            }
            load.awaitCompletion(options.maxWait);
            notes.add(String.format(Locale.ROOT, "run %d: webhook posts retried %d times while no replica took them", run,
                    rig.sender.retries()));
            return new CaseRun(List.of(load.row(run + " kill×3")), notes);
        }
    }

    private CaseRun caseE(int run) throws Exception {
        List<String> notes = new ArrayList<>();
        try (FieldRig rig = new FieldRig("e" + run, options.conditions('e', run), options.echo)) {
            List<FieldTarget.AmoCrmAccount> accounts = new ArrayList<>();
            for (int i = 0; i < FieldRig.AMO_HOSTS; i++) {
                accounts.add(rig.amoAccount(i, false, 3));
            }
            List<CompletableFuture<ServiceProcess>> starting = List.of("a", "b", "c").stream()
                    .map(r -> CompletableFuture.supplyAsync(() -> rig.startService(r))).toList();
            List<ServiceProcess> replicas = starting.stream().map(CompletableFuture::join).toList();
            List<FieldMeasurement> loads = new ArrayList<>();
            for (FieldTarget.AmoCrmAccount account : accounts) {
                // Enough messages to keep every account busy for the longest wait below; the rest is dropped.
                List<FieldMessage> messages = account.messages(240);
                loads.add(new FieldMeasurement(rig, account, messages, FieldMeasurement.paced(account, messages, 1000), false, false));
            }
            long warmUpUntil = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            await(Duration.ofSeconds(120), () -> System.nanoTime() > warmUpUntil
                    && accounts.stream().allMatch(a -> a.writes().size() > 0));
            ServiceProcess victim = replicas.get(1);
            String victimName = rig.instanceId("b");
            Map<Long, String> owners = rig.leaseOwners();
            rig.kill(victim);
            long killedAt = System.nanoTime();
            Map<FieldTarget.AmoCrmAccount, Long> servedAgain = new LinkedHashMap<>();
            for (FieldTarget.AmoCrmAccount account : accounts) {
                servedAgain.put(account, firstArrivalAfter(account, killedAt, RESTART_PATIENCE.minusNanos(System.nanoTime() - killedAt)));
            }
            Thread.sleep(5000);
            rig.sender.stopNew();
            List<FieldRow> rows = new ArrayList<>();
            for (FieldMeasurement load : loads) {
                load.awaitCompletion(options.maxWait);
                rows.add(load.row(run + " 6 accts"));
            }
            StringBuilder served = new StringBuilder(String.format(Locale.ROOT,
                    "run %d: replica b killed %s; first CRM call after the kill, per account:", run,
                    owners.isEmpty() ? "(lease owners unknown)" : "holding " + owners.values().stream()
                            .filter(owner -> owner.startsWith(victimName)).count() + " of " + owners.size() + " installations"));
            servedAgain.forEach((account, at) -> served.append(String.format(Locale.ROOT, " %s%s %s",
                    account.host().substring(0, account.host().indexOf(':')),
                    owners.getOrDefault(account.installation().id(), "").startsWith(victimName) ? "(killed's)" : "",
                    at == Long.MIN_VALUE ? ">" + RESTART_PATIENCE.toSeconds() + " s"
                            : String.format(Locale.ROOT, "%.1f s", (at - killedAt) / 1e9))));
            notes.add(served.toString());
            return new CaseRun(List.of(FieldRow.total(run + " 6 accts", rows)), notes);
        }
    }

    /**
     * A customer's burst meets a service that has been running for hours, not a JVM that has yet to compile its
     * hot paths (the first few thousand webhooks run interpreted, several times slower, while the JIT compilers take
     * most of a core: measured 10 s of C2 CPU in the first minute). Unless {@code --no-warmup}, a freshly started
     * service first drains three bursts of 1,000 statuses for an amoCRM account of its own, which no figure counts.
     */
    private void warmUp(FieldRig rig) throws InterruptedException {
        if (!options.warmUp) {
            return;
        }
        FieldTarget warm = rig.amoAccount(WARM_UP_ACCOUNT, false, 10);
        for (int round = 0; round < WARM_UP_ROUNDS; round++) {
            List<FieldMessage> messages = warm.messages(1000);
            new FieldMeasurement(rig, warm, messages, FieldMeasurement.burst(warm, messages, 0), false, true)
                    .awaitCompletion(Duration.ofSeconds(90));
        }
    }

    /** A burst or paced load on one installation, measured until its timeline is complete or the wait runs out. */
    private FieldRow measure(FieldRig rig, FieldTarget target, String label, List<FieldMessage> messages, List<Chain> load,
                             boolean history, boolean burst) throws InterruptedException {
        FieldMeasurement measurement = new FieldMeasurement(rig, target, messages, load, history, burst);
        Duration patience = burst
                ? Duration.ofSeconds(30).plusMillis((long) (10_000 * messages.size() * (history ? 2 : 1) / target.entriesPerSecond()))
                : Duration.ofSeconds(60).plusSeconds(messages.size());
        measurement.awaitCompletion(patience.compareTo(options.maxWait) < 0 ? patience : options.maxWait);
        return measurement.row(label);
    }

    /** Pact's webhooks of the load the service accepted (amoCRM's echoes not counted). */
    private static long statusWebhooksAccepted(FieldRig rig) {
        return rig.sender.accepted().stream().filter(a -> a.webhook().messageId() != 0).count();
    }

    /** The first request at the target's CRM at or after {@code fromNanos}; Long.MIN_VALUE if none came in time. */
    private static long firstArrivalAfter(FieldTarget target, long fromNanos, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0, within.toNanos());
        while (true) {
            long[] arrivals = target.arrivals(fromNanos);
            if (arrivals.length > 0) {
                return arrivals[0];
            }
            if (System.nanoTime() > deadline) {
                return Long.MIN_VALUE;
            }
            Thread.sleep(20);
        }
    }

    private static boolean await(Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(100);
        }
        return true;
    }

    private static void print(char c, Options o, List<FieldRow> rows, List<String> notes) {
        StringBuilder out = new StringBuilder("\n").append(TITLES.get(c)).append('\n');
        out.append("fakes: ").append(o.conditions(c, 1).describe()).append(o.echo ? "; amoCRM posts its notes webhook back" : "")
                .append('\n');
        out.append(FieldRow.header());
        rows.forEach(r -> out.append(r.line()));
        if (o.runs > 1) {
            Map<String, List<FieldRow>> byPhase = new LinkedHashMap<>();
            rows.forEach(r -> byPhase.computeIfAbsent(r.crm() + "|" + r.label().substring(r.label().indexOf(' ') + 1),
                    k -> new ArrayList<>()).add(r));
            byPhase.forEach((key, group) -> out.append(FieldRow.total("all " + key.substring(key.indexOf('|') + 1), group).line()));
        }
        notes.forEach(n -> out.append("  ").append(n).append('\n'));
        System.out.print(out);
        System.out.flush();
    }

    private static final class Options {
        String cases = "abcde";
        int runs = 1;
        Duration maxWait = Duration.ofSeconds(330);
        Duration[] latency;
        long seed = 20261124L;
        boolean echo = true;
        boolean warmUp = true;

        /**
         * How the fakes answer in a case's run: at once, or with --latency; case c with 30 % faults and, unless
         * --latency says otherwise, a slow CRM's 100–400 ms. Each run has a seed of its own.
         */
        FieldRig.Conditions conditions(char c, int run) {
            Duration[] l = latency != null || c != 'c' ? latency : new Duration[] {Duration.ofMillis(100), Duration.ofMillis(400)};
            return new FieldRig.Conditions(l == null ? null : l[0], l == null ? null : l[1], c == 'c' ? 0.3 : 0,
                    seed + run - 1);
        }

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--case" -> {
                        String value = args[++i].toLowerCase(Locale.ROOT);
                        o.cases = "all".equals(value) ? "abcde" : value.replace(",", "");
                        if (!o.cases.matches("[a-e]+")) {
                            throw new IllegalArgumentException("--case takes a, b, c, d, e, a list of them, or all");
                        }
                    }
                    case "--runs" -> o.runs = Integer.parseInt(args[++i]);
                    case "--max-wait" -> o.maxWait = Duration.ofSeconds(Long.parseLong(args[++i]));
                    case "--latency" -> {
                        String[] range = args[++i].split("-");
                        o.latency = new Duration[] {Duration.ofMillis(Long.parseLong(range[0])),
                                Duration.ofMillis(Long.parseLong(range[range.length - 1]))};
                    }
                    case "--seed" -> o.seed = Long.parseLong(args[++i]);
                    case "--no-echo" -> o.echo = false;
                    case "--no-warmup" -> o.warmUp = false;
                    case "--help", "-h" -> {
                        System.out.println("options: --case a|b|c|d|e|all (or a,b) --runs N --max-wait S --latency MIN-MAX "
                                + "--seed N --no-echo --no-warmup");
                        System.exit(0);
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + " (try --help)");
                }
            }
            if (o.runs < 1) {
                throw new IllegalArgumentException("--runs must be at least 1");
            }
            return o;
        }
    }
}
