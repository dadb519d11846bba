package com.pactcrm.connector.deploy;

import static com.pactcrm.connector.deploy.Rendered.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.pactcrm.connector.testsupport.Http;
import io.micronaut.runtime.server.EmbeddedServer;
import io.micronaut.test.extensions.junit5.annotation.MicronautTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every path Kubernetes and Docker probe, taken from the manifests and the Dockerfile, is served by the service. */
@MicronautTest(transactional = false)
class ProbeEndpointsIT {

    @Inject
    EmbeddedServer server;

    @Test
    void theProbedPathsAnswer200() throws IOException {
        Set<String> paths = new LinkedHashSet<>();
        for (Map<String, Object> container : Rendered.of("base").containers()) {
            for (String probe : new String[] {"startupProbe", "livenessProbe", "readinessProbe"}) {
                paths.add(at(container, probe + ".httpGet.path"));
            }
        }
        Matcher healthCheck = Pattern.compile("HEALTHCHECK[^\\n]*\\n?[^\\n]*http://[^/\"]+(/[^\"\\s]+)").matcher(Files.readString(Path.of("Dockerfile")));
        assertTrue(healthCheck.find(), "the Dockerfile's HEALTHCHECK URL");
        paths.add(healthCheck.group(1));
        assertEquals(Set.of("/health/liveness", "/health/readiness"), paths);
        for (String path : paths) {
            assertEquals(200, Http.get(server.getURL() + path).statusCode(), path);
        }
    }
}
