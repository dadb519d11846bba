package com.pactcrm.connector.deploy;

import static com.pactcrm.connector.deploy.Rendered.MANIFESTS;
import static com.pactcrm.connector.deploy.Rendered.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.annotation.Controller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code manifests/}: every kustomization renders to objects the Kubernetes API accepts, and they keep
 * the deployment contract (probes, limits, non-root, the public paths, the shutdown budget, the
 * database connection budget); the overlays change what they say they change.
 */
class ManifestsTest {

    /** MySQL 8's default max_connections; the small overlay must fit it untouched. */
    private static final int MYSQL_DEFAULT_MAX_CONNECTIONS = 151;
    /** What README "Deployment" tells the operator of a large installation to set. */
    private static final int LARGE_MAX_CONNECTIONS = 250;
    private static final Set<String> PUBLIC_PATHS = Set.of("/pact/webhooks/", "/amocrm/", "/bitrix24/", "/api/v1/", "/ui/", "/files/");
    private static final Set<String> PROBE_PATHS = Set.of("/health/liveness", "/health/readiness");

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/small", "overlays/large"})
    void everyRenderedObjectMatchesTheKubernetesSchema(String dir) {
        Rendered rendered = Rendered.of(dir);
        assertEquals(Set.of("ConfigMap", "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget"),
                rendered.objects().stream().map(o -> (String) o.get("kind")).collect(Collectors.toSet()));
        for (Map<String, Object> object : rendered.objects()) {
            KubernetesSchema.validate(object);
            assertEquals("pact-crm-connector", at(object, "metadata.name"), KubernetesSchema.id(object));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/small", "overlays/large"})
    void everyContainerHasProbesLimitsAndRunsAsNonRootOnAReadOnlyFilesystem(String dir) {
        Rendered rendered = Rendered.of(dir);
        Map<String, Object> pod = rendered.podSpec();
        assertEquals(true, at(pod, "securityContext.runAsNonRoot"));
        assertTrue(((Integer) at(pod, "securityContext.runAsUser")) > 0);
        assertEquals("RuntimeDefault", at(pod, "securityContext.seccompProfile.type"));
        assertEquals(false, at(pod, "automountServiceAccountToken"));
        Integer replicas = at(rendered.one("Deployment"), "spec.replicas");
        assertTrue(replicas >= 3, dir + " replicas " + replicas);

        for (Map<String, Object> container : rendered.containers()) {
            String name = (String) container.get("name");
            List<Map<String, Object>> ports = at(container, "ports");
            Set<Object> portRefs = ports.stream()
                    .flatMap(p -> Stream.of(p.get("name"), p.get("containerPort"))).collect(Collectors.toSet());
            for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
                assertTrue(PROBE_PATHS.contains(at(container, probe + ".httpGet.path")), name + " " + probe);
                assertTrue(portRefs.contains(at(container, probe + ".httpGet.port")), name + " " + probe + " port");
            }
            assertEquals("/health/liveness", at(container, "livenessProbe.httpGet.path"));
            assertEquals("/health/readiness", at(container, "readinessProbe.httpGet.path"));
            for (String resource : List.of("cpu", "memory")) {
                assertNotNull(at(container, "resources.requests." + resource), name + " request " + resource);
                assertNotNull(at(container, "resources.limits." + resource), name + " limit " + resource);
            }
            // A JVM's heap does not give memory back: a request below the limit invites OOM kills under node pressure.
            assertEquals((Object) at(container, "resources.requests.memory"), at(container, "resources.limits.memory"));
            assertEquals(true, at(container, "securityContext.runAsNonRoot"));
            assertEquals(false, at(container, "securityContext.allowPrivilegeEscalation"));
            assertEquals(true, at(container, "securityContext.readOnlyRootFilesystem"));
            assertEquals(List.of("ALL"), at(container, "securityContext.capabilities.drop"));
            assertTrue(mountsEmptyDirAt(pod, container, "/tmp"), name + " has a writable /tmp");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/small", "overlays/large"})
    void objectsReferToEachOther(String dir) {
        Rendered rendered = Rendered.of(dir);
        Map<String, Object> deployment = rendered.one("Deployment");
        Map<String, String> podLabels = at(deployment, "spec.template.metadata.labels");
        assertTrue(podLabels.entrySet().containsAll(((Map<String, String>) at(deployment, "spec.selector.matchLabels")).entrySet()));
        Map<String, Object> service = rendered.one("Service");
        assertTrue(podLabels.entrySet().containsAll(((Map<String, String>) at(service, "spec.selector")).entrySet()));
        assertTrue(podLabels.entrySet().containsAll(
                ((Map<String, String>) at(rendered.one("PodDisruptionBudget"), "spec.selector.matchLabels")).entrySet()));
        Map<String, Object> hpa = rendered.one("HorizontalPodAutoscaler");
        assertEquals("Deployment", at(hpa, "spec.scaleTargetRef.kind"));
        assertEquals((Object) at(deployment, "metadata.name"), at(hpa, "spec.scaleTargetRef.name"));
        // kubectl apply sets spec.replicas; equal to the HPA's floor, an apply never scales below it.
        assertEquals((Object) at(hpa, "spec.minReplicas"), at(deployment, "spec.replicas"));

        Set<Object> servicePorts = ((List<Map<String, Object>>) at(service, "spec.ports")).stream()
                .map(p -> p.get("name")).collect(Collectors.toSet());
        for (Map<String, Object> path : ingressPaths(rendered)) {
            assertEquals((Object) at(service, "metadata.name"), at(path, "backend.service.name"));
            assertTrue(servicePorts.contains(at(path, "backend.service.port.name")), String.valueOf(path));
        }
        List<Map<String, Object>> containerPorts = at(rendered.containers().get(0), "ports");
        Set<Object> containerPortNames = containerPorts.stream().map(p -> p.get("name")).collect(Collectors.toSet());
        for (Map<String, Object> port : (List<Map<String, Object>>) at(service, "spec.ports")) {
            assertTrue(containerPortNames.contains(port.get("targetPort")), "service targets a named container port");
        }

        List<Map<String, Object>> envFrom = at(rendered.containers().get(0), "envFrom");
        assertEquals((Object) at(rendered.one("ConfigMap"), "metadata.name"), at(envFrom.get(0), "configMapRef.name"));
        Map<String, Object> secretExample = YamlDocuments.load(Rendered.MANIFESTS.resolve("secret.example.yaml")).get(0);
        assertEquals((Object) at(secretExample, "metadata.name"), at(envFrom.get(1), "secretRef.name"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlays/small", "overlays/large"})
    void ingressPublishesTheWebhookAndWidgetPathsAndNothingElse(String dir) {
        List<Map<String, Object>> paths = ingressPaths(Rendered.of(dir));
        Set<String> published = paths.stream().map(p -> (String) p.get("path")).collect(Collectors.toSet());
        assertEquals(PUBLIC_PATHS, published);
        assertFalse(published.stream().anyMatch(p -> p.startsWith("/prometheus") || p.startsWith("/health") || p.equals("/")));
        assertTrue(paths.stream().allMatch(p -> "Prefix".equals(p.get("pathType"))));
    }

    /** A controller added under a new top-level path would be unreachable from outside without an Ingress rule. */
    @Test
    void everyControllerOfTheServiceIsBehindAnIngressPath() throws IOException, ClassNotFoundException {
        Path classes = Path.of("target", "classes");
        Set<String> controllers = new HashSet<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String className = classes.relativize(file).toString().replace(".class", "").replace('/', '.');
                Class<?> type = Class.forName(className, false, getClass().getClassLoader());
                Controller controller = type.getAnnotation(Controller.class);
                Requires requires = type.getAnnotation(Requires.class);
                boolean benchmarkOnly = requires != null && Arrays.asList(requires.env()).contains("benchmark");
                // The landing page ("/") is for whoever reaches the service itself (mn:run, a port-forward): it says
                // what is not configured yet, which the internet need not know.
                boolean landingPage = controller != null && "/".equals(controller.value());
                if (controller != null && !benchmarkOnly && !landingPage) {
                    controllers.add(controller.value());
                }
            }
        }
        assertTrue(controllers.size() >= 10, "found the controllers: " + controllers);
        for (String controller : controllers) {
            assertTrue(PUBLIC_PATHS.stream().anyMatch(p -> (controller + "/").startsWith(p)), controller + " is not published");
        }
    }

    /**
     * On SIGTERM the dispatcher and then the relay each wait up to {@code connector.shutdown-grace} for their
     * in-flight work; the preStop sleep runs before that. Kubernetes kills the pod at terminationGracePeriodSeconds.
     */
    @ParameterizedTest
    @ValueSource(strings = {"overlays/small", "overlays/large"})
    void terminationGracePeriodCoversPreStopAndBothWorkersShutdownGrace(String dir) {
        Rendered rendered = Rendered.of(dir);
        Duration shutdownGrace = Duration.parse("PT" + ((String) at(rendered.one("ConfigMap"), "data.CONNECTOR_SHUTDOWN_GRACE")).toUpperCase(Locale.ROOT));
        List<String> preStop = at(rendered.containers().get(0), "lifecycle.preStop.exec.command");
        assertEquals("sleep", preStop.get(0));
        long preStopSeconds = Long.parseLong(preStop.get(1));
        assertTrue(preStopSeconds >= 5, "long enough for endpoint removal to reach the ingress controller");
        int terminationGrace = at(rendered.podSpec(), "terminationGracePeriodSeconds");
        assertTrue(terminationGrace >= preStopSeconds + 2 * shutdownGrace.toSeconds() + 5,
                "terminationGracePeriodSeconds " + terminationGrace + " < preStop " + preStopSeconds + " s + 2 x " + shutdownGrace);
    }

    @Test
    void databaseConnectionsOfAllReplicasFitMySql() {
        assertTrue(peakConnections(Rendered.of("overlays/small")) <= MYSQL_DEFAULT_MAX_CONNECTIONS);
        assertTrue(peakConnections(Rendered.of("overlays/large")) <= LARGE_MAX_CONNECTIONS);
    }

    @Test
    void overlaysChangeWhatTheyClaim() {
        Rendered base = Rendered.of("base");
        Rendered small = Rendered.of("overlays/small");
        Rendered large = Rendered.of("overlays/large");

        assertEquals("500m", at(base.containers().get(0), "resources.requests.cpu"));
        assertEquals(6, (Integer) at(base.one("HorizontalPodAutoscaler"), "spec.maxReplicas"));

        assertEquals(3, (Integer) at(small.one("Deployment"), "spec.replicas"));
        assertEquals(3, (Integer) at(small.one("HorizontalPodAutoscaler"), "spec.minReplicas"));
        assertEquals(5, (Integer) at(small.one("HorizontalPodAutoscaler"), "spec.maxReplicas"));
        assertEquals("250m", at(small.containers().get(0), "resources.requests.cpu"));
        assertEquals("1", at(small.containers().get(0), "resources.limits.cpu"));
        assertEquals("768Mi", at(small.containers().get(0), "resources.limits.memory"));

        assertEquals(6, (Integer) at(large.one("Deployment"), "spec.replicas"));
        assertEquals(6, (Integer) at(large.one("HorizontalPodAutoscaler"), "spec.minReplicas"));
        assertEquals(12, (Integer) at(large.one("HorizontalPodAutoscaler"), "spec.maxReplicas"));
        assertEquals("1", at(large.containers().get(0), "resources.requests.cpu"));
        assertEquals("1Gi", at(large.containers().get(0), "resources.limits.memory"));
        assertEquals("15", at(large.one("ConfigMap"), "data.DATASOURCES_DEFAULT_MAXIMUM_POOL_SIZE"));

        // Patched, not replaced: what the overlays do not mention is the base's.
        for (Rendered overlay : List.of(small, large)) {
            assertEquals(1, overlay.containers().size());
            assertEquals((Object) at(base.containers().get(0), "startupProbe"), at(overlay.containers().get(0), "startupProbe"));
            assertEquals("registry.example.com/pact-crm-connector:0.1.0", overlay.containers().get(0).get("image"));
            assertEquals((Object) at(base.one("ConfigMap"), "data.CONNECTOR_PUBLIC_URL"), at(overlay.one("ConfigMap"), "data.CONNECTOR_PUBLIC_URL"));
            assertEquals((Object) base.one("Ingress"), overlay.one("Ingress"));
        }
    }

    @Test
    void theSecretIsAnExampleWithPlaceholdersOnlyAndNoKustomizationAppliesIt() {
        Map<String, Object> secret = YamlDocuments.load(Rendered.MANIFESTS.resolve("secret.example.yaml")).get(0);
        KubernetesSchema.validate(secret);
        assertFalse(secret.containsKey("data"), "placeholders in stringData only");
        Map<String, Object> values = at(secret, "stringData");
        assertTrue(values.keySet().containsAll(Set.of("DATASOURCES_DEFAULT_PASSWORD", "CONNECTOR_ENCRYPTION_KEY", "AMOCRM_CLIENT_SECRET")));
        values.forEach((key, value) -> assertEquals("CHANGE_ME", value, key));
        for (String dir : List.of("base", "overlays/small", "overlays/large")) {
            assertTrue(Rendered.of(dir).objects().stream().noneMatch(o -> "Secret".equals(o.get("kind"))), dir);
        }
        // Secret-looking keys never sit in the ConfigMap, where anyone with read access to the namespace sees them.
        Map<String, Object> config = at(Rendered.of("base").one("ConfigMap"), "data");
        assertTrue(config.keySet().stream().noneMatch(k -> k.matches(".*(PASSWORD|SECRET|ENCRYPTION_KEY|TOKEN).*")), config.keySet().toString());
    }

    /** {@code kubectl apply -k manifests/monitoring}: the alert rules as they are, and the dashboard in a ConfigMap Grafana's sidecar loads. */
    @Test
    void theMonitoringKitRendersToTheRulesAndADashboardConfigMap() throws IOException {
        assumeTrue(KubectlKustomize.available(), "kubectl not found: manifests/monitoring cannot be rendered");
        Path kit = MANIFESTS.resolve("monitoring");
        List<Map<String, Object>> objects = YamlDocuments.parse(KubectlKustomize.render(kit), "monitoring");
        assertEquals(List.of("ConfigMap", "PrometheusRule"), objects.stream().map(o -> (String) o.get("kind")).sorted().toList());
        Map<String, Object> dashboard = objects.stream().filter(o -> "ConfigMap".equals(o.get("kind"))).findFirst().orElseThrow();
        KubernetesSchema.validate(dashboard);
        assertEquals("1", at(dashboard, "metadata.labels.grafana_dashboard"));
        assertEquals(Files.readString(kit.resolve("grafana-dashboard.json")), ((Map<String, Object>) at(dashboard, "data")).get("grafana-dashboard.json"));
        Map<String, Object> rules = objects.stream().filter(o -> "PrometheusRule".equals(o.get("kind"))).findFirst().orElseThrow();
        assertEquals(YamlDocuments.load(kit.resolve("prometheus-rules.yaml")).get(0), rules);
    }

    private static long peakConnections(Rendered rendered) {
        int maxReplicas = at(rendered.one("HorizontalPodAutoscaler"), "spec.maxReplicas");
        int surge = at(rendered.one("Deployment"), "spec.strategy.rollingUpdate.maxSurge");
        int pool = Integer.parseInt(at(rendered.one("ConfigMap"), "data.DATASOURCES_DEFAULT_MAXIMUM_POOL_SIZE"));
        return (long) (maxReplicas + surge) * pool;
    }

    private static List<Map<String, Object>> ingressPaths(Rendered rendered) {
        List<Map<String, Object>> rules = at(rendered.one("Ingress"), "spec.rules");
        return rules.stream().flatMap(r -> ((List<Map<String, Object>>) at(r, "http.paths")).stream()).toList();
    }

    private static boolean mountsEmptyDirAt(Map<String, Object> pod, Map<String, Object> container, String mountPath) {
        List<Map<String, Object>> mounts = at(container, "volumeMounts");
        List<Map<String, Object>> volumes = at(pod, "volumes");
        return mounts != null && volumes != null && mounts.stream()
                .filter(m -> mountPath.equals(m.get("mountPath")))
                .anyMatch(m -> volumes.stream().anyMatch(v -> m.get("name").equals(v.get("name")) && v.containsKey("emptyDir")));
    }
}
