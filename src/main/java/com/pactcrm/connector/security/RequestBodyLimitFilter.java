package com.pactcrm.connector.security;

import com.pactcrm.connector.ops.problem.Problem;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.RequestFilter;
import io.micronaut.http.annotation.ServerFilter;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits request bodies per endpoint before anything reads them: webhooks and frames arrive unauthenticated, and
 * their bodies are parsed before the caller can be checked (a Bitrix24 form into a map, a JSON body into a tree).
 * The limit is taken from {@code Content-Length}; a body without one (chunked) is refused with 411 on these paths, as
 * every legitimate sender (Bitrix24's and amoCRM's PHP senders, Pact, browsers posting a string) sends its length.
 * {@code micronaut.server.max-request-size} is the backstop for every other path.
 */
@ServerFilter(ServerFilter.MATCH_ALL_PATTERN)
class RequestBodyLimitFilter {

    /** A path prefix and the largest body it takes. */
    record Limit(String pathPrefix, long maxBytes) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(RequestBodyLimitFilter.class);

    static final List<Limit> LIMITS = List.of(
            // Bitrix24 events, installer, frames and sender posts: a few KB of form fields (bitrix24.md §3.2).
            new Limit("/bitrix24/", 256 * 1024),
            // amoCRM webhooks: form fields of the changed entities, several entities and actions per POST (amocrm.md §2.3).
            new Limit("/amocrm/", 512 * 1024),
            // Pact webhooks carry one message or conversation; a long text is well under this.
            new Limit("/pact/webhooks/", 512 * 1024),
            // A photo or document from the card (at most connector.card.max-document-bytes, 10 MB) and its multipart frame.
            new Limit("/api/v1/attachments", 10 * 1024 * 1024 + 64 * 1024),
            // The widget API's largest bodies are settings with a user mapping and quick replies.
            new Limit("/api/", 256 * 1024),
            // Everything else: the 1 MB every path had before the card's upload raised micronaut.server.max-request-size.
            new Limit("/", 1024 * 1024));

    /** @return null to go on, or the refusal, answered before the body is read */
    @RequestFilter
    @Nullable
    HttpResponse<Problem> limit(HttpRequest<?> request) {
        Limit limit = limitOf(request.getPath());
        if (limit == null) {
            return null;
        }
        long length = request.getContentLength();
        if (length > limit.maxBytes()) {
            return refused(request, HttpStatus.REQUEST_ENTITY_TOO_LARGE, "the body is larger than "
                    + limit.maxBytes() / 1024 + " KB");
        }
        if (length < 0 && request.getHeaders().contains("Transfer-Encoding")) {
            return refused(request, HttpStatus.LENGTH_REQUIRED, "send the body with a Content-Length");
        }
        return null;
    }

    /** Answered before the body is read; the rest of it is not read, and the connection ends after this answer. */
    private static HttpResponse<Problem> refused(HttpRequest<?> request, HttpStatus status, String detail) {
        LOG.info("event=request_rejected method={} path={} status={} detail=\"{}\"", request.getMethodName(),
                request.getPath().startsWith("/pact/webhooks/") || request.getPath().startsWith("/amocrm/webhooks/")
                        ? "{webhook}" : request.getPath(), status.getCode(), detail);
        return HttpResponse.<Problem>status(status).contentType(Problem.MEDIA_TYPE)
                .body(new Problem("about:blank", status.getReason(), status.getCode(), detail, null));
    }

    private static Limit limitOf(String path) {
        for (Limit limit : LIMITS) {
            if (path.startsWith(limit.pathPrefix())) {
                return limit;
            }
        }
        return null;
    }
}
