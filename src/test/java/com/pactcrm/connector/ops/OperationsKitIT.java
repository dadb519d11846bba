package com.pactcrm.connector.ops;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.crm.CrmPayloads.MessageStatusPayload;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.pact.PactConnection;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import com.pactcrm.connector.testsupport.Http;
import com.pactcrm.connector.testsupport.PactFake;
import com.pactcrm.connector.testsupport.PactWebhooks;
import com.pactcrm.connector.testsupport.TestInstallations;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import io.micronaut.test.support.TestPropertyProvider;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The operations kit in {@code manifests/monitoring/} (alert rules and Grafana dashboard) parses, and asks only
 * for what the service exports: every metric it names is in a real scrape of {@code /prometheus} after traffic
 * through webhooks, the dispatcher, the relay and a call to Pact, with the labels it filters and groups on; a
 * label value it matches is either in the scrape or a string the code writes (a 429 need not have happened).
 */
@MicronautTest(transactional = false)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperationsKitIT implements TestPropertyProvider {

    static final Path KIT = Path.of("manifests/monitoring");
    @RegisterExtension
    static final PactFake PACT = PactFake.start();
    static final int PORT = freePort();
    /** A metric name in PromQL: ours (connector_) and the JVM's, process' and HTTP server's that Micronaut exports. */
    static final String NAME = "\\b((?:connector|jvm|process|system|http_server)_[a-z0-9_]+)";
    static final Pattern METRIC = Pattern.compile(NAME + "\\b");
    static final Pattern SELECTOR = Pattern.compile(NAME + "\\{([^}]*)}");
    static final Pattern MATCHER = Pattern.compile("([a-z_]+)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
    static final Pattern GROUPING = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");
    static final Pattern TEMPLATE_LABEL = Pattern.compile("\\$labels\\.([a-z_]+)");
    /** Labels Prometheus adds to every series it scrapes (target labels), which /prometheus itself does not print. */
    static final Set<String> TARGET_LABELS = Set.of("instance", "job", "namespace", "pod");
    static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+\\S+$");
    static final Pattern SAMPLE_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    @Inject
    PactConnection connection;
    @Inject
    TestInstallations installations;
    @Inject
    Outbox outbox;
    @Inject
    InstallationHealthRepository health;
    @Inject
    SyncMetrics syncMetrics;

    /** Metric name → the label sets of its samples in one scrape after traffic. */
    Map<String, List<Map<String, String>>> scrape;

    @Override
    public Map<String, String> getProperties() {
        return Map.of("connector.pact.api-url", PACT.baseUrl(),
                "micronaut.server.port", Integer.toString(PORT),
                "connector.public-url", "http://localhost:" + PORT);
    }

    @BeforeAll
    void traffic() {
        PACT.enableWebhookHandshakes();
        String base = "http://localhost:" + PORT;
        // Calls to Pact: the token check, webhook registration and activation.
        Installation installation = connection.connect(installations.amoCrm(null), "pact-admin-token-0123456789", 1L);
        // Webhooks through the journal and the dispatcher.
        for (String fixture : List.of("message-create-incoming", "message-update-read")) {
            assertEquals(200, Http.postJson(base + "/pact/webhooks/" + installation.pactHookKey(), PactWebhooks.fixture(fixture))
                    .statusCode());
        }
        // A command through the relay to the CRM (the test double stands for amoCRM).
        outbox.enqueue(installation.id(), CommandKind.CRM_MESSAGE_STATUS, "status:ops-kit", "status:ops-kit",
                new MessageStatusPayload(7001L, 7002L, "lead", "31926540", "READ", "✓✓", null, "ops kit", Instant.now()),
                null, null);
        // What the amoCRM client records on a 403.
        health.record(installation.id(), "AMOCRM_ACCOUNT", "ACCOUNT_BLOCKED", "403 from amoCRM");
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            syncMetrics.refresh();
            Map<String, List<Map<String, String>>> s = scrape(base);
            return s.containsKey("connector_inbound_processed_total") && s.containsKey("connector_e2e_latency_seconds_count")
                    && s.containsKey("connector_installations_unhealthy");
        });
        scrape = scrape(base);
    }

    @Test
    void theRulesAreAPrometheusRuleWithSeverityAndDescriptionOnEveryAlert() {
        Map<String, Object> rule = rules();
        assertEquals("monitoring.coreos.com/v1", rule.get("apiVersion"));
        assertEquals("PrometheusRule", rule.get("kind"));
        Set<String> names = new HashSet<>();
        for (Map<String, Object> alert : alerts(rule)) {
            assertTrue(names.add((String) alert.get("alert")), "alert names are unique: " + alert.get("alert"));
            assertNotNull(alert.get("expr"), alert.toString());
            Map<String, String> labels = cast(alert.get("labels"));
            assertTrue(Set.of("warning", "critical").contains(labels.get("severity")), alert.toString());
            Map<String, String> annotations = cast(alert.get("annotations"));
            assertFalse(annotations.getOrDefault("summary", "").isBlank(), alert.toString());
            assertFalse(annotations.getOrDefault("description", "").isBlank(), alert.toString());
        }
        // What issue 12 asks the alerts to cover.
        assertTrue(names.containsAll(Set.of("ConnectorDeadLettersGrowing", "ConnectorJournalLag", "ConnectorCrmThrottled",
                "ConnectorTokenRefreshFailing", "ConnectorAccountBlocked", "ConnectorLeaseTakeovers")), names.toString());
    }

    @Test
    void theDashboardIsGrafanaJsonWithAQueryOnEveryPanel() {
        JsonNode dashboard = dashboard();
        assertEquals("pact-crm-connector", dashboard.path("uid").asText());
        int panels = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            if (!"row".equals(panel.path("type").asText())) {
                panels++;
                assertTrue(panel.path("targets").size() > 0, panel.path("title").asText());
                assertEquals("${datasource}", panel.path("datasource").path("uid").asText(), panel.path("title").asText());
            }
        }
        assertTrue(panels >= 12, "panels: " + panels);
    }

    @Test
    void everyMetricTheKitNamesIsInARealScrape() {
        Set<String> missing = new HashSet<>();
        for (String expr : expressions()) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                if (!scrape.containsKey(m.group(1))) {
                    missing.add(m.group(1));
                }
            }
        }
        assertEquals(Set.of(), missing, "named by the kit but not exported; the scrape had " + scrape.keySet());
    }

    @Test
    void everyLabelTheKitFiltersOrGroupsOnIsOnTheMetricAndEveryValueItMatchesExists() throws IOException {
        String code = mainSources();
        List<String> problems = new ArrayList<>();
        for (String expr : expressions()) {
            Matcher selector = SELECTOR.matcher(expr);
            Set<String> labelsHere = new HashSet<>(TARGET_LABELS);
            while (selector.find()) {
                String metric = selector.group(1);
                Set<String> labels = labelsOf(metric);
                labelsHere.addAll(labels);
                Matcher matcher = MATCHER.matcher(selector.group(2));
                while (matcher.find()) {
                    String label = matcher.group(1);
                    if (!labels.contains(label)) {
                        problems.add(metric + " has no label " + label);
                        continue;
                    }
                    if (matcher.group(2).startsWith("!")) {
                        continue;
                    }
                    for (String value : matcher.group(3).split("\\|")) {
                        boolean scraped = scrape.get(metric).stream().anyMatch(l -> value.equals(l.get(label)));
                        if (!scraped && !code.contains("\"" + value + "\"")) {
                            problems.add(metric + "{" + label + "=\"" + value + "\"} is neither scraped nor written by the code");
                        }
                    }
                }
            }
            Matcher plain = METRIC.matcher(expr);
            while (plain.find()) {
                labelsHere.addAll(labelsOf(plain.group(1)));
            }
            Matcher grouping = GROUPING.matcher(expr);
            while (grouping.find()) {
                for (String label : grouping.group(1).split(",")) {
                    if (!label.isBlank() && !labelsHere.contains(label.strip())) {
                        problems.add("grouped by " + label.strip() + ", which none of its metrics has: " + expr);
                    }
                }
            }
        }
        for (Map<String, Object> alert : alerts(rules())) {
            Set<String> labels = new HashSet<>();
            Matcher grouping = GROUPING.matcher((String) alert.get("expr"));
            while (grouping.find()) {
                Stream.of(grouping.group(1).split(",")).map(String::strip).forEach(labels::add);
            }
            Matcher used = TEMPLATE_LABEL.matcher(String.valueOf(alert.get("annotations")));
            while (used.find()) {
                if (!labels.contains(used.group(1))) {
                    problems.add(alert.get("alert") + " shows $labels." + used.group(1) + ", which its expression drops");
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void theDeadLetterAndAccountGaugesCarryWhatTheAlertsRead() {
        assertTrue(scrape.get("connector_installations_unhealthy").stream()
                .anyMatch(l -> "AMOCRM_ACCOUNT".equals(l.get("component")) && "ACCOUNT_BLOCKED".equals(l.get("state"))),
                scrape.get("connector_installations_unhealthy").toString());
        assertTrue(scrape.containsKey("connector_lease_takeovers_total"), "registered at zero, before any takeover");
        assertTrue(scrape.containsKey("connector_outbox_dead"));
    }

    // -------------------------------------------------------------------------------------------------------------

    private Set<String> labelsOf(String metric) {
        return scrape.getOrDefault(metric, List.of()).stream().flatMap(l -> l.keySet().stream()).collect(Collectors.toSet());
    }

    /** Every PromQL expression of the kit: the alerts' and the dashboard's (with Grafana's interval variable). */
    private List<String> expressions() {
        List<String> exprs = new ArrayList<>();
        alerts(rules()).forEach(a -> exprs.add((String) a.get("expr")));
        for (JsonNode panel : dashboard().path("panels")) {
            panel.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
        }
        return exprs;
    }

    static Map<String, Object> rules() {
        try {
            return new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(KIT.resolve("prometheus-rules.yaml")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Map<String, Object>> alerts(Map<String, Object> rule) {
        Map<String, Object> spec = cast(rule.get("spec"));
        List<Map<String, Object>> groups = cast(spec.get("groups"));
        return groups.stream().flatMap(g -> ((List<Map<String, Object>>) cast(g.get("rules"))).stream()).toList();
    }

    static JsonNode dashboard() {
        try {
            return new ObjectMapper().readTree(KIT.resolve("grafana-dashboard.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String mainSources() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            StringBuilder all = new StringBuilder();
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                all.append(Files.readString(file));
            }
            return all.toString();
        }
    }

    private static Map<String, List<Map<String, String>>> scrape(String base) {
        var response = Http.get(base + "/prometheus");
        assertEquals(200, response.statusCode());
        Map<String, List<Map<String, String>>> samples = new HashMap<>();
        for (String line : response.body().split("\n")) {
            Matcher sample = SAMPLE.matcher(line);
            if (line.startsWith("#") || !sample.matches()) {
                continue;
            }
            Map<String, String> labels = new HashMap<>();
            if (sample.group(2) != null) {
                Matcher label = SAMPLE_LABEL.matcher(sample.group(2));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            samples.computeIfAbsent(sample.group(1), k -> new ArrayList<>()).add(labels);
        }
        return samples;
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object value) {
        return (T) value;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
