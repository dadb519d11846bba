package com.pactcrm.connector.amocrm.install;

import com.pactcrm.connector.amocrm.AmoCrmConfiguration;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.InboundCallLimiter;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.uri.UriBuilder;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.net.URI;

/**
 * The "connect amoCRM" link for admins who connect from outside the amoCRM marketplace: it sends the
 * browser to amoCRM's authorization page with a fresh {@code state} (amocrm.md §1.2, button flow;
 * {@code mode=post_message} keeps the redirect in the window that opened it). amoCRM then redirects to
 * {@code /amocrm/oauth/callback} with {@code code}, {@code referer} and that {@code state}.
 */
@Controller("/amocrm/oauth/start")
@ExecuteOn(TaskExecutors.BLOCKING)
class AmoCrmConnectController {

    private final AmoCrmConfiguration amocrm;
    private final AmoCrmOAuthStates states;
    private final InboundCallLimiter limiter;

    AmoCrmConnectController(AmoCrmConfiguration amocrm, AmoCrmOAuthStates states, InboundCallLimiter limiter) {
        this.amocrm = amocrm;
        this.states = states;
        this.limiter = limiter;
    }

    @Get
    HttpResponse<?> start(HttpRequest<?> request) {
        if (!amocrm.configured()) {
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable", "the amoCRM integration is not configured");
        }
        // Anyone may open this link, and each opening stores a state row for 20 minutes.
        limiter.admit(InboundCallLimiter.Kind.INSTALL, request, null);
        URI authorize = UriBuilder.of(amocrm.authorizeUrl())
                .queryParam("client_id", amocrm.clientId())
                .queryParam("state", states.issue())
                .queryParam("mode", "post_message")
                .build();
        // 303, not the permanent 301 of HttpResponse.redirect: every click must reach us for a fresh state.
        return HttpResponse.seeOther(authorize);
    }
}
