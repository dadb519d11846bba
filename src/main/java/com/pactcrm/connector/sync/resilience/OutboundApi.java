package com.pactcrm.connector.sync.resilience;

import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;

/**
 * The provider's part of {@link OutboundCallPipeline}: how a client names its failures and reads a refusal. One per
 * client; the provider's own rules (amoCRM's 429 that escalates to a 403 block, Pact's "Please wait N seconds",
 * Bitrix24's error codes and portal moves) live here and in the client, never in the pipeline.
 *
 * @param <E> the one exception type the client promises its callers
 */
public final class OutboundApi<E extends OutboundCallException> {

    /** The provider's exception for a failure the pipeline classified itself: transport, limiter, breaker, redirect. */
    @FunctionalInterface
    public interface Failures<E> {
        E failure(String message, Disposition disposition, int status, Duration retryAfter, Throwable cause);
    }

    /** The provider's reading of an answer of 400 or more; {@link OutboundCall#dispositionOf} is the default rule. */
    @FunctionalInterface
    public interface Refusals<E> {
        E refused(OutboundCall call, Refusal refusal);
    }

    /**
     * A 3xx (no client follows redirects: requests carry tokens): the request to send instead, once, or empty to fail
     * the call as a redirect not followed. May throw the provider's exception when the redirect itself is a finding
     * (Bitrix24: a move outside its domains).
     */
    @FunctionalInterface
    public interface Redirects {
        Optional<MutableHttpRequest<?>> follow(OutboundCall call, HttpResponse<String> response);
    }

    /**
     * An answer of 400 or more.
     *
     * @param body       as sent, possibly empty or HTML; may echo the request's token, so redact before showing it
     * @param retryAfter the {@code Retry-After} header ({@link RetryAfter})
     */
    public record Refusal(int status, String body, Optional<Duration> retryAfter, HttpClientResponseException cause) {
    }

    private final String target;
    private final Logger log;
    private final Failures<E> failures;
    private final Refusals<E> refusals;
    private final Redirects redirects;
    private final String redirectHint;

    private OutboundApi(String target, Logger log, Failures<E> failures, Refusals<E> refusals, Redirects redirects,
                        String redirectHint) {
        this.target = target;
        this.log = log;
        this.failures = failures;
        this.refusals = refusals;
        this.redirects = redirects;
        this.redirectHint = redirectHint;
    }

    /**
     * @param target the metrics' {@code target} tag and the prefix of the call log events: {@code amocrm}, {@code pact},
     *               {@code bitrix24}
     * @param log    the client's own logger, so that its call events keep the name they are filtered by
     */
    public static <E extends OutboundCallException> OutboundApi<E> of(String target, Logger log, Failures<E> failures,
                                                                      Refusals<E> refusals) {
        return new OutboundApi<>(target, log, failures, refusals, (call, response) -> Optional.empty(), "");
    }

    /** The same API, following redirects as {@code redirects} says. */
    public OutboundApi<E> following(Redirects redirects) {
        return new OutboundApi<>(target, log, failures, refusals, redirects, redirectHint);
    }

    /** The same API, telling an operator what to check when a redirect was not followed. */
    public OutboundApi<E> hintingOnRedirect(String hint) {
        return new OutboundApi<>(target, log, failures, refusals, redirects, hint);
    }

    String target() {
        return target;
    }

    Logger log() {
        return log;
    }

    E failure(String message, Disposition disposition, int status, Duration retryAfter, Throwable cause) {
        return failures.failure(message, disposition, status, retryAfter, cause);
    }

    E refused(OutboundCall call, Refusal refusal) {
        return refusals.refused(call, refusal);
    }

    Optional<MutableHttpRequest<?>> redirect(OutboundCall call, HttpResponse<String> response) {
        return redirects.follow(call, response);
    }

    String redirectHint() {
        return redirectHint;
    }
}
