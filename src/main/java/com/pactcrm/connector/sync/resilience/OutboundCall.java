package com.pactcrm.connector.sync.resilience;

import com.pactcrm.connector.security.SecretMasker;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;

/**
 * One request to an external API, as its client hands it to {@link OutboundCallPipeline}.
 *
 * @param operation    the metrics' {@code operation} tag and the log events' {@code operation}
 * @param account      what the target counts the call against, the key of its limiter: an amoCRM account's host, a
 *                     Pact token's key, a Bitrix24 member_id
 * @param host         whose circuit breaker the call runs through
 * @param description  method and path (or the provider's method name) for messages: never a query, which may carry a
 *                     searched phone number
 * @param secret       the credential the request carries, kept out of every message; {@code null} for none
 * @param changesState whether the request changes something at the target that must not happen twice: a failure
 *                     after it may have been sent is then {@link Disposition#RETRY_AMBIGUOUS}, looked up before it is
 *                     sent again ({@link #changesState(HttpMethod)} for REST targets)
 * @param limiter      takes the permit the call needs from the target's rate limit, waiting for it or failing
 */
public record OutboundCall(String operation, String account, String host, HttpClient client, MutableHttpRequest<?> request,
                           String description, String secret, boolean changesState, Limiter limiter) {

    /** Takes a permit, completed when the call is over. */
    @FunctionalInterface
    public interface Limiter {
        OutboundRateLimiters.Permit acquire();
    }

    /**
     * POST, PUT and PATCH may have been applied when their answer is lost; GET, HEAD, OPTIONS and DELETE are repeated
     * as they are. DELETE is idempotent (RFC 9110 §9.2.2, https://www.rfc-editor.org/rfc/rfc9110#name-idempotent-methods)
     * and a repeat creates nothing, so there is nothing to look up. PUT is idempotent on paper too, but Pact's PUTs are
     * partial updates (an assignee, a note) that a later command may overwrite: looked up like a PATCH, to be safe.
     */
    public static boolean changesState(HttpMethod method) {
        return method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH;
    }

    /** A failure after the request may have reached the target. */
    public Disposition maybeApplied() {
        return changesState ? Disposition.RETRY_AMBIGUOUS : Disposition.RETRY;
    }

    /**
     * The rule for a refusal no provider rule claims. A 502 or 504 comes from a proxy that may have handed the request
     * on before giving up; a 500 or 503 is the target itself failing or in maintenance: retried as it is. Any other
     * 4xx is our request's fault: retrying cannot help.
     */
    public Disposition dispositionOf(int status) {
        if (status == 502 || status == 504) {
            return maybeApplied();
        }
        return status >= 500 ? Disposition.RETRY : Disposition.PERMANENT;
    }

    /** Free text from the target is echoed into messages and logs: never with the request's credential in it. */
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String withoutSecret = secret == null || secret.isEmpty() ? text : text.replace(secret, SecretMasker.maskValue(secret));
        return SecretMasker.mask(withoutSecret);
    }
}
