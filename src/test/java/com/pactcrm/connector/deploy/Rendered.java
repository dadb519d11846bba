package com.pactcrm.connector.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** One rendered kustomization (base or overlay) and navigation into its objects. */
record Rendered(String name, List<Map<String, Object>> objects) {

    static final Path MANIFESTS = Path.of("manifests");

    static Rendered of(String dir) {
        return new Rendered(dir, Kustomize.build(MANIFESTS.resolve(dir)));
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
