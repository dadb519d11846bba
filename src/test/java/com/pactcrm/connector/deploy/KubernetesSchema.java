package com.pactcrm.connector.deploy;

import com.google.gson.Gson;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1Deployment;
import io.kubernetes.client.openapi.models.V1Ingress;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1Secret;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V2HorizontalPodAutoscaler;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks an object against the Kubernetes 1.32 API schema, through the official Java client's models
 * (generated from Kubernetes' OpenAPI document): a field the schema does not define, a required field
 * that is missing, a value of the wrong type or a malformed quantity is an error, as it is for
 * {@code kubectl apply --dry-run} with strict field validation.
 */
final class KubernetesSchema {

    /** apiVersion + kind → the model that defines it; the kinds {@code manifests/} uses. */
    private static final Map<String, Parser> PARSERS = Map.of(
            "v1 ConfigMap", V1ConfigMap::fromJson,
            "v1 Secret", V1Secret::fromJson,
            "v1 Service", V1Service::fromJson,
            "apps/v1 Deployment", V1Deployment::fromJson,
            "networking.k8s.io/v1 Ingress", V1Ingress::fromJson,
            "autoscaling/v2 HorizontalPodAutoscaler", V2HorizontalPodAutoscaler::fromJson,
            "policy/v1 PodDisruptionBudget", V1PodDisruptionBudget::fromJson);

    /** Maps whose values the API defines as strings. */
    private static final Set<String> STRING_MAPS = Set.of("data", "stringData", "labels", "annotations", "matchLabels", "nodeSelector");

    private static final Gson GSON = new Gson();

    private KubernetesSchema() {
    }

    /** {@code apps/v1 Deployment pact-crm-connector}: how messages name an object. */
    static String id(Map<String, Object> object) {
        Object metadata = object.get("metadata");
        Object name = metadata instanceof Map<?, ?> m ? m.get("name") : null;
        return object.get("apiVersion") + " " + object.get("kind") + " " + name;
    }

    /** Throws {@link InvalidManifestException} naming the object and what is wrong with it. */
    static Object validate(Map<String, Object> object) {
        String type = object.get("apiVersion") + " " + object.get("kind");
        Parser parser = PARSERS.get(type);
        if (parser == null) {
            throw new InvalidManifestException(id(object) + ": no schema for " + type
                    + " (a removed API version, a typo, or a kind this check does not know yet)");
        }
        requireStringValues(object, id(object));
        try {
            // The models' adapters validate while parsing: unknown and missing required fields, types,
            // quantities (resources) and int-or-string values (ports).
            return parser.parse(GSON.toJson(object));
        } catch (IOException | RuntimeException e) {
            throw new InvalidManifestException(id(object) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Gson reads {@code 20} or {@code true} into a String field without complaint, where the API server
     * refuses them ("cannot unmarshal number into ... of type string"): the string-to-string maps are
     * checked here, the usual place of an unquoted number ({@code POOL_SIZE: 20} in a ConfigMap).
     */
    private static void requireStringValues(Object node, String where) {
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String path = where + "." + e.getKey();
                if (STRING_MAPS.contains(String.valueOf(e.getKey())) && e.getValue() instanceof Map<?, ?> values) {
                    values.forEach((key, value) -> {
                        if (!(value instanceof String)) {
                            throw new InvalidManifestException(path + "." + key + ": expected a string, got " + value + " (quote it)");
                        }
                    });
                }
                requireStringValues(e.getValue(), path);
            }
        } else if (node instanceof List<?> list) {
            list.forEach(element -> requireStringValues(element, where));
        }
    }

    @FunctionalInterface
    private interface Parser {
        Object parse(String json) throws IOException;
    }

    static final class InvalidManifestException extends RuntimeException {
        InvalidManifestException(String message) {
            super(message);
        }

        InvalidManifestException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
