package com.pactcrm.connector.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The schema check refuses what {@code kubectl apply} would refuse, one deliberate mistake per fixture. */
class KubernetesSchemaTest {

    private static final Path FIXTURES = Path.of("src/test/resources/deploy");

    @Test
    void acceptsAValidDeployment() {
        List<Map<String, Object>> objects = YamlDocuments.load(FIXTURES.resolve("valid-deployment.yaml"));
        assertEquals(1, objects.size());
        KubernetesSchema.validate(objects.get(0));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "typo-field.yaml           | paht",
            "missing-required.yaml     | name",
            "bad-quantity.yaml         | quantity: 768",
            "wrong-type.yaml           | three",
            "removed-api-version.yaml  | no schema for extensions/v1beta1 Ingress",
            "unquoted-number.yaml      | data.POOL_SIZE: expected a string, got 20"})
    void refusesABrokenManifestAndSaysWhy(String fixture, String expectedInMessage) {
        Map<String, Object> object = YamlDocuments.load(FIXTURES.resolve("invalid").resolve(fixture)).get(0);
        KubernetesSchema.InvalidManifestException e =
                assertThrows(KubernetesSchema.InvalidManifestException.class, () -> KubernetesSchema.validate(object));
        assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
        assertTrue(e.getMessage().contains("fixture"), "names the object: " + e.getMessage());
    }

    @Test
    void aTypoInAnOverlayPatchRendersButFailsTheSchemaCheck() {
        assumeTrue(KubectlKustomize.available(), "kubectl not found: the overlay cannot be rendered");
        List<Map<String, Object>> rendered = YamlDocuments.parse(KubectlKustomize.render(FIXTURES.resolve("overlay-with-typo")), "overlay-with-typo");
        Map<String, Object> deployment = rendered.stream().filter(o -> "Deployment".equals(o.get("kind"))).findFirst().orElseThrow();
        KubernetesSchema.InvalidManifestException e =
                assertThrows(KubernetesSchema.InvalidManifestException.class, () -> KubernetesSchema.validate(deployment));
        assertTrue(e.getMessage().contains("`limit`"), e.getMessage());
    }
}
