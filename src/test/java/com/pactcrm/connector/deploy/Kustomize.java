package com.pactcrm.connector.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Renders a kustomization directory the way {@code kustomize build} does, for the subset of kustomize
 * that {@code manifests/} uses: {@code resources} (files and directories), {@code patches} given by
 * {@code path} (strategic merge, matched on apiVersion, kind and name) and {@code images}. No
 * kustomize binary can be installed here (its releases come from a closed network), so the suite
 * renders with this and anything outside the subset fails loudly instead of rendering differently.
 */
final class Kustomize {

    private static final Set<String> KUSTOMIZATION_FIELDS = Set.of("apiVersion", "kind", "resources", "patches", "images");

    /**
     * Lists whose patch strategy is "merge" in the Kubernetes API, with their merge key; every other
     * list is replaced whole by a patch, as kustomize does for lists without a strategy.
     */
    private static final Map<String, String> MERGE_KEYS = Map.of(
            "containers", "name",
            "initContainers", "name",
            "ephemeralContainers", "name",
            "imagePullSecrets", "name",
            "volumes", "name",
            "env", "name",
            "volumeMounts", "mountPath",
            "topologySpreadConstraints", "topologyKey");

    private Kustomize() {
    }

    /** The objects {@code kustomize build dir} would print, in resource order. */
    static List<Map<String, Object>> build(Path dir) {
        Map<String, Object> kustomization = loadOne(dir.resolve("kustomization.yaml"));
        for (String field : kustomization.keySet()) {
            if (!KUSTOMIZATION_FIELDS.contains(field)) {
                throw new IllegalArgumentException(dir + ": kustomization field '" + field + "' is not supported by this renderer");
            }
        }
        List<Map<String, Object>> objects = new ArrayList<>();
        for (Object entry : list(kustomization, "resources")) {
            Path resource = dir.resolve((String) entry).normalize();
            List<Map<String, Object>> loaded = Files.isDirectory(resource) ? build(resource) : loadAll(resource);
            for (Map<String, Object> object : loaded) {
                if (find(objects, object) != null) {
                    throw new IllegalArgumentException(dir + ": " + id(object) + " is defined twice");
                }
                objects.add(object);
            }
        }
        for (Object entry : list(kustomization, "patches")) {
            Map<String, Object> patchEntry = map(entry, "patches entry");
            if (!patchEntry.keySet().equals(Set.of("path"))) {
                throw new IllegalArgumentException(dir + ": only 'path' patches are supported, got " + patchEntry.keySet());
            }
            for (Map<String, Object> patch : loadAll(dir.resolve((String) patchEntry.get("path")))) {
                Map<String, Object> target = find(objects, patch);
                if (target == null) {
                    throw new IllegalArgumentException(dir + ": patch " + patchEntry.get("path") + " matches no resource (" + id(patch) + ")");
                }
                mergeMaps(target, patch, id(patch));
            }
        }
        for (Object entry : list(kustomization, "images")) {
            setImage(objects, map(entry, "images entry"));
        }
        return objects;
    }

    /** Every YAML document in a file, skipping empty ones (a trailing {@code ---}). */
    static List<Map<String, Object>> loadAll(Path file) {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        List<Map<String, Object>> documents = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file)) {
            for (Object document : yaml.loadAll(reader)) {
                if (document != null) {
                    documents.add(map(document, file.toString()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return documents;
    }

    static String id(Map<String, Object> object) {
        Map<String, Object> metadata = map(object.getOrDefault("metadata", Map.of()), "metadata");
        return object.get("apiVersion") + " " + object.get("kind") + " " + metadata.get("name");
    }

    private static Map<String, Object> loadOne(Path file) {
        List<Map<String, Object>> documents = loadAll(file);
        if (documents.size() != 1) {
            throw new IllegalArgumentException(file + ": expected one document, found " + documents.size());
        }
        return documents.get(0);
    }

    private static Map<String, Object> find(List<Map<String, Object>> objects, Map<String, Object> like) {
        return objects.stream().filter(o -> id(o).equals(id(like))).findFirst().orElse(null);
    }

    /** Strategic merge: maps merge key by key, a null deletes, lists with a merge key merge element-wise. */
    private static void mergeMaps(Map<String, Object> target, Map<String, Object> patch, String where) {
        for (Map.Entry<String, Object> e : patch.entrySet()) {
            String key = e.getKey();
            if (key.startsWith("$")) {
                throw new IllegalArgumentException(where + ": patch directive " + key + " is not supported by this renderer");
            }
            Object value = e.getValue();
            Object existing = target.get(key);
            if (value == null) {
                target.remove(key);
            } else if (value instanceof Map && existing instanceof Map) {
                mergeMaps(map(existing, key), map(value, key), where + "." + key);
            } else if (value instanceof List && existing instanceof List && MERGE_KEYS.containsKey(key)) {
                mergeLists(castList(existing), castList(value), MERGE_KEYS.get(key), where + "." + key);
            } else {
                target.put(key, value);
            }
        }
    }

    private static void mergeLists(List<Object> target, List<Object> patch, String mergeKey, String where) {
        for (Object element : patch) {
            Map<String, Object> patchElement = map(element, where);
            Object keyValue = patchElement.get(mergeKey);
            if (keyValue == null) {
                throw new IllegalArgumentException(where + ": list element without merge key '" + mergeKey + "'");
            }
            Map<String, Object> match = target.stream()
                    .map(t -> map(t, where))
                    .filter(t -> Objects.equals(t.get(mergeKey), keyValue))
                    .findFirst().orElse(null);
            if (match == null) {
                target.add(patchElement);
            } else {
                mergeMaps(match, patchElement, where + "[" + keyValue + "]");
            }
        }
    }

    /** kustomize's images transformer, for containers of pod templates: name → newName:newTag. */
    private static void setImage(List<Map<String, Object>> objects, Map<String, Object> rule) {
        String name = (String) rule.get("name");
        for (Map<String, Object> object : objects) {
            Object spec = object.get("spec");
            Object template = spec instanceof Map ? map(spec, "spec").get("template") : null;
            Object podSpec = template instanceof Map ? map(template, "template").get("spec") : null;
            if (!(podSpec instanceof Map)) {
                continue;
            }
            for (String containersKey : List.of("initContainers", "containers")) {
                for (Object c : castList(map(podSpec, "spec").getOrDefault(containersKey, List.of()))) {
                    Map<String, Object> container = map(c, containersKey);
                    String image = (String) container.get("image");
                    String imageName = imageName(image);
                    if (imageName.equals(name)) {
                        String newName = (String) rule.getOrDefault("newName", imageName);
                        Object tag = rule.get("newTag");
                        container.put("image", tag == null ? newName + image.substring(imageName.length()) : newName + ":" + tag);
                    }
                }
            }
        }
    }

    /** The image reference without its tag or digest; a registry port ({@code host:5000/x}) is kept. */
    private static String imageName(String image) {
        String withoutDigest = image.split("@", 2)[0];
        int colon = withoutDigest.lastIndexOf(':');
        return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.substring(0, colon) : withoutDigest;
    }

    private static List<Object> list(Map<String, Object> map, String key) {
        return castList(map.getOrDefault(key, List.of()));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> castList(Object value) {
        if (!(value instanceof List)) {
            throw new IllegalArgumentException("expected a list, got " + value);
        }
        return (List<Object>) value;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value, String where) {
        if (!(value instanceof Map)) {
            throw new IllegalArgumentException(where + ": expected a mapping, got " + value);
        }
        return (Map<String, Object>) value;
    }
}
