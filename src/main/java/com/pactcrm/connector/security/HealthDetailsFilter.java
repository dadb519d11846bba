package com.pactcrm.connector.security;

import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.ResponseFilter;
import io.micronaut.http.annotation.ServerFilter;
import io.micronaut.management.health.indicator.HealthResult;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

/**
 * {@code /health} shows its details (the JDBC URL, disk space, queue depths, unhealthy installations) only to an
 * operator, a request with {@code Authorization: Bearer <connector.ops.token>}; everyone else, the Kubernetes probes
 * included, gets the status alone, with the same HTTP status. Without a token configured nobody sees details. (The
 * health endpoint's own {@code details-visible} setting needs an authenticated principal, which only
 * micronaut-security would provide.)
 */
@ServerFilter({"/health", "/health/**"})
class HealthDetailsFilter {

    private final byte[] token;

    HealthDetailsFilter(@Value("${connector.ops.token:}") String token) {
        this.token = token.strip().getBytes(StandardCharsets.UTF_8);
    }

    @ResponseFilter
    void hideDetailsFromAllButOperators(HttpRequest<?> request, MutableHttpResponse<?> response) {
        if (response.getBody().orElse(null) instanceof HealthResult result && !operator(request)) {
            response.body(Map.of("status", result.getStatus().getName()));
        }
    }

    private boolean operator(HttpRequest<?> request) {
        String authorization = request.getHeaders().getAuthorization().orElse(null);
        return token.length > 0 && authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                && MessageDigest.isEqual(token, authorization.substring(7).strip().getBytes(StandardCharsets.UTF_8));
    }
}
