package com.pactcrm.connector.deploy;

import static com.pactcrm.connector.deploy.Rendered.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The renderer behaves as kustomize for the subset it implements and refuses the rest. */
class KustomizeTest {

    private static final Path FIXTURES = Path.of("src/test/resources/deploy/kustomize");

    @Test
    void strategicMergePatchesContainersByNameDeletesNullsAndSetsImages() {
        List<Map<String, Object>> objects = Kustomize.build(FIXTURES.resolve("merge"));
        assertEquals(1, objects.size());
        Map<String, Object> deployment = objects.get(0);
        assertEquals(4, (Integer) at(deployment, "spec.replicas"));
        List<Map<String, Object>> containers = at(deployment, "spec.template.spec.containers");
        assertEquals(List.of("app", "sidecar"), containers.stream().map(c -> c.get("name")).toList());
        Map<String, Object> app = containers.get(0);
        assertEquals(List.of("--verbose"), app.get("args"));
        assertEquals("1", at(app, "resources.limits.cpu"));
        assertNull(at(app, "resources.limits.memory"));
        assertEquals("/health/liveness", at(app, "livenessProbe.httpGet.path"), "untouched fields stay");
        assertEquals("registry.example.com:5000/team/fixture:2", app.get("image"));
        assertEquals("registry.example.com:5000/team/fixture:2", containers.get(1).get("image"));
        KubernetesSchema.validate(deployment);
    }

    @Test
    void aKustomizationFieldOutsideTheSubsetFailsInsteadOfBeingIgnored() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kustomize.build(FIXTURES.resolve("unsupported-field")));
        assertTrue(e.getMessage().contains("namePrefix"), e.getMessage());
    }

    @Test
    void aPatchThatMatchesNoResourceFails() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Kustomize.build(FIXTURES.resolve("unmatched-patch")));
        assertTrue(e.getMessage().contains("pact-crm-connectr"), e.getMessage());
    }
}
