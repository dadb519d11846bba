package com.pactcrm.connector.ops.problem;

import io.micronaut.http.HttpStatus;

/** An error answered as RFC 9457 {@code application/problem+json}. */
public class ProblemException extends RuntimeException {

    private final HttpStatus status;
    private final String title;
    private final String detail;

    public ProblemException(HttpStatus status, String title, String detail) {
        super(title + (detail == null ? "" : ": " + detail));
        this.status = status;
        this.title = title;
        this.detail = detail;
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
}
