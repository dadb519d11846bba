package com.pactcrm.connector.sync.resilience;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.exceptions.HttpClientException;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.Optional;

/**
 * The one way the connector calls Pact, amoCRM and Bitrix24: the target's rate limit, the host's circuit breaker, the
 * exchange, the call's meters and log line, and the classification of what came back (refusal, transport failure,
 * redirect, unreadable answer) with the request's credential redacted and {@code Retry-After} read in both its forms.
 * What each provider means by its answers stays in its client ({@link OutboundApi}).
 */
@Singleton
public class OutboundCallPipeline {

    /**
     * A 2xx whose JSON does not fit the record it is read into, for every target: the target did the work, so a write
     * was applied and must be looked up before it is sent again, never dead-lettered; a read is retried along the
     * ladder like any other answer the target got wrong.
     */
    public static final Disposition UNREADABLE_ANSWER = Disposition.RETRY_AMBIGUOUS;

    private final OutboundCircuitBreakers breakers;
    private final OutboundCallMetrics metrics;
    private final ObjectMapper json;
    private final Clock clock;

    public OutboundCallPipeline(OutboundCircuitBreakers breakers, OutboundCallMetrics metrics, ObjectMapper json,
                                Clock clock) {
        this.breakers = breakers;
        this.metrics = metrics;
        this.json = json;
        this.clock = clock;
    }

    /** Reads a 2xx answer into what the client returns; throws the provider's exception for one it cannot use. */
    @FunctionalInterface
    public interface Answer<T> {
        T read(HttpResponse<String> response);
    }

    /**
     * Runs {@code call}: a permit from its limiter, then the exchange through the host's breaker.
     *
     * @throws E every failure, classified: the limiter's and the breaker's as {@link Disposition#RATE_LIMITED}
     */
    public <T, E extends OutboundCallException> T call(OutboundApi<E> api, OutboundCall call, Answer<T> answer) {
        OutboundRateLimiters.Permit permit;
        try {
            permit = call.limiter().acquire();
        } catch (RateLimitWaitTooLongException e) {
            // The command waits in the outbox, not in a thread; callers get the one exception type their client promises.
            throw api.failure(e.getMessage(), e.disposition(), e.status(), e.retryAfter().orElse(null), e);
        }
        try (permit) {
            return breakers.call(call.host(), () -> exchange(api, call, call.request(), answer, true));
        } catch (CallNotPermittedException e) {
            // Waits out the open time without spending an attempt of the command's retry ladder.
            throw api.failure("circuit open for " + call.host(), Disposition.RATE_LIMITED, 0, breakers.openFor(), e);
        }
    }

    /**
     * The answer's JSON, or empty for a 204 or an empty body.
     *
     * @throws E for a body that is not JSON: the call reached the target and succeeded, so a write may well have been
     *           applied ({@link OutboundCall#maybeApplied()})
     */
    public <E extends OutboundCallException> Optional<JsonNode> json(OutboundApi<E> api, OutboundCall call,
                                                                     HttpResponse<String> response) {
        String body = response.getBody().orElse("");
        if (response.code() == 204 || body.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(json.readTree(body));
        } catch (JsonProcessingException e) {
            throw api.failure(call.description() + " answered " + response.code() + " with a body that is not JSON",
                    call.maybeApplied(), response.code(), null, e);
        }
    }

    private <T, E extends OutboundCallException> T exchange(OutboundApi<E> api, OutboundCall call,
                                                            MutableHttpRequest<?> request, Answer<T> answer,
                                                            boolean mayFollow) {
        long start = System.nanoTime();
        HttpResponse<String> response;
        try {
            response = call.client().toBlocking().exchange(request, Argument.STRING, Argument.STRING);
        } catch (HttpClientResponseException e) {
            HttpResponse<?> refused = e.getResponse();
            OutboundApi.Refusal refusal = new OutboundApi.Refusal(e.getStatus().getCode(),
                    refused.getBody(String.class).orElse(""),
                    RetryAfter.parse(refused.getHeaders().get(HttpHeaders.RETRY_AFTER), clock.instant()), e);
            throw failed(api, call, start, api.refused(call, refusal));
        } catch (HttpClientException e) {
            throw failed(api, call, start, transportFailure(api, call, e));
        }
        if (response.code() >= 300) {
            Optional<MutableHttpRequest<?>> instead;
            try {
                instead = mayFollow ? api.redirect(call, response) : Optional.empty();
            } catch (OutboundCallException e) {
                throw failed(api, call, start, e);
            }
            if (instead.isEmpty()) {
                throw failed(api, call, start, notFollowed(api, call, response));
            }
            metrics.record(api.target(), call.operation(), "redirected", start);
            return exchange(api, call, instead.get(), answer, false);
        }
        T result;
        try {
            result = answer.read(response);
        } catch (OutboundCallException e) {
            throw failed(api, call, start, e);
        }
        long millis = metrics.record(api.target(), call.operation(), "ok", start);
        api.log().debug("event={}_call_ok operation={} method={} status={} durationMs={}", api.target(),
                call.operation(), request.getMethod(), response.code(), millis);
        return result;
    }

    /** Nothing was done: the target answered where to go instead, before taking the request. */
    private static <E extends OutboundCallException> E notFollowed(OutboundApi<E> api, OutboundCall call,
                                                                   HttpResponse<String> response) {
        return api.failure(call.description() + " answered " + response.code() + ", a redirect to "
                + OutboundFailures.hostOf(response.header(HttpHeaders.LOCATION)) + ", not followed" + api.redirectHint(),
                Disposition.RETRY, response.code(), null, null);
    }

    private static <E extends OutboundCallException> E transportFailure(OutboundApi<E> api, OutboundCall call,
                                                                        HttpClientException e) {
        if (OutboundFailures.isTimeout(e)) {
            // The request left us; the target may have applied it before we gave up waiting.
            return api.failure(call.description() + " timed out waiting for the response", call.maybeApplied(), 0,
                    null, e);
        }
        // Only a failure to connect proves the request never arrived; a connection lost later may follow a write.
        return api.failure(call.redact(call.description() + " failed: " + e.getMessage()),
                OutboundFailures.neverSent(e) ? Disposition.RETRY : call.maybeApplied(), 0, null, e);
    }

    private <E extends OutboundCallException> E failed(OutboundApi<?> api, OutboundCall call, long start, E e) {
        long millis = metrics.record(api.target(), call.operation(),
                OutboundCallMetrics.outcomeOf(e, OutboundFailures.isTimeout(e)), start);
        api.log().warn("event={}_call_failed operation={} status={} durationMs={} detail=\"{}\"", api.target(),
                call.operation(), e.status(), millis, call.redact(e.getMessage()));
        return e;
    }
}
