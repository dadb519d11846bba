package com.pactcrm.connector.ops.problem;

import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.annotation.Produces;
import io.micronaut.http.server.exceptions.ExceptionHandler;
import jakarta.inject.Singleton;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers {@link ProblemException}s; client errors are logged at INFO without the body. */
@Singleton
@Produces(Problem.MEDIA_TYPE)
public class ProblemExceptionHandler implements ExceptionHandler<ProblemException, HttpResponse<Problem>> {

    private static final Logger LOG = LoggerFactory.getLogger(ProblemExceptionHandler.class);

    @Override
    public HttpResponse<Problem> handle(HttpRequest request, ProblemException e) {
        LOG.info("event=request_rejected method={} path={} status={} detail=\"{}\"",
                request.getMethodName(), Problems.safePath(request), e.status().getCode(), e.detail());
        MutableHttpResponse<Problem> response = Problems.response(e.status().getCode(), e.title(), e.detail(), request);
        e.retryAfter().ifPresent(wait -> response.header(HttpHeaders.RETRY_AFTER,
                Long.toString(Math.max(1, (wait.toMillis() + 999) / 1000))));
        return response;
    }

    /** Shared shaping of problem responses. */
    static final class Problems {
        private Problems() {
        }

        static MutableHttpResponse<Problem> response(int status, String title, String detail, HttpRequest<?> request) {
            Problem problem = new Problem("about:blank", title, status, detail, safePath(request));
            return HttpResponse.<Problem>status(io.micronaut.http.HttpStatus.valueOf(status))
                    .contentType(Problem.MEDIA_TYPE)
                    .body(problem);
        }

        /** Hook keys are credentials: the last path segment of a webhook URL is never echoed or logged. */
        static String safePath(HttpRequest<?> request) {
            String path = request.getPath();
            if (path.contains("/webhooks/")) {
                return path.substring(0, path.indexOf("/webhooks/")) + "/webhooks/{hookKey}";
            }
            return path;
        }
    }
}
