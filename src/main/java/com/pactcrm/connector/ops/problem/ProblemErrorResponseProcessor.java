package com.pactcrm.connector.ops.problem;

import io.micronaut.context.annotation.Replaces;
import io.micronaut.http.MutableHttpResponse;
import io.micronaut.http.server.exceptions.response.ErrorContext;
import io.micronaut.http.server.exceptions.response.ErrorResponseProcessor;
import io.micronaut.http.server.exceptions.response.HateoasErrorResponseProcessor;
import jakarta.inject.Singleton;

/**
 * Every error Micronaut itself produces (unknown route, unsupported media type, unreadable body,
 * validation) is answered as {@code application/problem+json} too.
 */
@Singleton
@Replaces(HateoasErrorResponseProcessor.class)
public class ProblemErrorResponseProcessor implements ErrorResponseProcessor<Problem> {

    @Override
    public MutableHttpResponse<Problem> processResponse(ErrorContext errorContext, MutableHttpResponse<?> response) {
        int status = response.code();
        String detail = errorContext.getErrors().isEmpty() ? null : errorContext.getErrors().get(0).getMessage();
        if (status == 404) {
            detail = null;
        }
        Problem problem = new Problem("about:blank", response.reason(), status, detail,
                ProblemExceptionHandler.Problems.safePath(errorContext.getRequest()));
        return response.contentType(Problem.MEDIA_TYPE).body(problem);
    }
}
