package com.pactcrm.connector.ops.problem;

import io.micronaut.http.HttpStatus;
import java.time.Duration;
import java.util.Optional;

/** An error answered as RFC 9457 {@code application/problem+json}. */
public class ProblemException extends RuntimeException {

    private final HttpStatus status;
    private final String title;
    private final String detail;
    private final Duration retryAfter;

    public ProblemException(HttpStatus status, String title, String detail) {
        this(status, title, detail, null);
    }

    private ProblemException(HttpStatus status, String title, String detail, Duration retryAfter) {
        super(title + (detail == null ? "" : ": " + detail));
        this.status = status;
        this.title = title;
        this.detail = detail;
        this.retryAfter = retryAfter;
    }

    /** A 429 whose answer carries {@code Retry-After} (whole seconds, at least 1). */
    public static ProblemException tooManyRequests(String detail, Duration retryAfter) {
        return new ProblemException(HttpStatus.TOO_MANY_REQUESTS, "Too Many Requests", detail, retryAfter);
    }

    /** A 404 that tells the caller nothing about why (unknown hook keys must not be probed). */
    public static ProblemException notFound() {
        return new ProblemException(HttpStatus.NOT_FOUND, "Not Found", null);
    }

    public static ProblemException badRequest(String detail) {
        return new ProblemException(HttpStatus.BAD_REQUEST, "Bad Request", detail);
    }

    public HttpStatus status() {
        return status;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return detail;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
