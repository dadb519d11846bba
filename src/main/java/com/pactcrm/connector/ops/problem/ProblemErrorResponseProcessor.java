package com.pactcrm.connector.ops.problem;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import io.micronaut.http.server.exceptions.response.HateoasErrorResponseProcessor;
import jakarta.inject.Singleton;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error Micronaut itself produces (unknown route, unsupported media type, unreadable body, an unexpected
 * exception) is answered as {@code application/problem+json} too, and says nothing about the service's insides:
 * Jackson's and the binder's messages name our classes, types and parser settings, and an unexpected exception's
 * message may carry anything. A 5xx says only that the request failed (the exception is logged); a 4xx keeps
 * Micronaut's plain sentences ("Required QueryValue [entityType] not specified") and replaces the rest.
 */
@Singleton
@Replaces(HateoasErrorResponseProcessor.class)
public class ProblemErrorResponseProcessor implements ErrorResponseProcessor<Problem> {

    static final String UNREADABLE = "the request could not be read: the body is not valid JSON of the expected shape, "
            + "or a value has the wrong type";
    static final String FAILED = "the request failed; it was logged";
    /** Package names, Java types, parser locations and exception names: what a caller must not see. */
    private static final Pattern INTERNAL = Pattern.compile(
            "[a-z]+\\.[a-z]+\\.[A-Za-z]|`|\\$|Source:|Exception|Failed to convert|Invalid JSON|\\bat \\[");
    private static final int MAX_DETAIL = 200;
    private static final Logger LOG = LoggerFactory.getLogger(ProblemErrorResponseProcessor.class);

    @Override
    public MutableHttpResponse<Problem> processResponse(ErrorContext errorContext, MutableHttpResponse<?> response) {
        int status = response.code();
        String detail = errorContext.getErrors().isEmpty() ? null : errorContext.getErrors().get(0).getMessage();
        String path = ProblemExceptionHandler.Problems.safePath(errorContext.getRequest());
        if (status >= 500) {
            LOG.error("event=request_failed method={} path={} status={} detail=\"{}\"", errorContext.getRequest().getMethodName(),
                    path, status, detail, errorContext.getRootCause().orElse(null));
            detail = FAILED;
        } else if (status == 404) {
            detail = null;
        } else if (detail != null && (INTERNAL.matcher(detail).find() || detail.length() > MAX_DETAIL)) {
            LOG.info("event=request_unreadable method={} path={} status={} detail=\"{}\"", errorContext.getRequest().getMethodName(),
                    path, status, detail);
            detail = UNREADABLE;
        }
        Problem problem = new Problem("about:blank", response.reason(), status, detail, path);
        return response.contentType(Problem.MEDIA_TYPE).body(problem);
    }
}
