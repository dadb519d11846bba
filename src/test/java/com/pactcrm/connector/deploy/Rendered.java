package com.pactcrm.connector.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One rendered kustomization (base or overlay) and navigation into its objects. Rendered by
 * {@code kubectl kustomize} where kubectl is installed; elsewhere the checks read the output kubectl gave
 * last, recorded under {@link #RECORDED} ({@code RecordedRendersTest} keeps it current wherever kubectl is).
 * kubectl comes with this project's machine image but is not promised on every machine of its kind, and
 * no registry reachable here packages a kustomize v5.
 */
record Rendered(String name, List<Map<String, Object>> objects) {

    static final Path MANIFESTS = Path.of("manifests");
    static final Path RECORDED = Path.of("src/test/resources/deploy/rendered");

    static Rendered of(String dir) {
        String yaml = KubectlKustomize.available() ? KubectlKustomize.render(MANIFESTS.resolve(dir)) : recorded(dir);
        return new Rendered(dir, YamlDocuments.parse(yaml, dir));
    }

    /** {@code overlays/small} → {@code src/test/resources/deploy/rendered/overlays-small.yaml}. */
    static Path recordedFile(String dir) {
        return RECORDED.resolve(dir.replace('/', '-') + ".yaml");
    }

    static String recorded(String dir) {
        try {
            return Files.readString(recordedFile(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The only object of a kind; fails when there is none or several. */
    Map<String, Object> one(String kind) {
        List<Map<String, Object>> matching = objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
        if (matching.size() != 1) {
            throw new AssertionError(name + ": expected one " + kind + ", found " + matching.size());
        }
        return matching.get(0);
    }

    /** The value at a dotted path ({@code spec.template.spec}), or null where any step is missing. */
    @SuppressWarnings("unchecked")
    static <T> T at(Object from, String dottedPath) {
        Object current = from;
        for (String step : dottedPath.split("\\.")) {
            if (!(current instanceof Map)) {
                return null;
            }
            current = ((Map<String, Object>) current).get(step);
        }
        return (T) current;
    }

    Map<String, Object> podSpec() {
        return at(one("Deployment"), "spec.template.spec");
    }

    List<Map<String, Object>> containers() {
        return at(podSpec(), "containers");
    }
}
