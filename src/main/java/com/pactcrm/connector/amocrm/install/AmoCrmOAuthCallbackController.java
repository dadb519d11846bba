package com.pactcrm.connector.amocrm.install;

import com.pactcrm.connector.amocrm.AmoCrmConfiguration;
import com.pactcrm.connector.amocrm.oauth.AmoCrmHostNotAllowedException;
import com.pactcrm.connector.amocrm.oauth.AmoCrmOAuthException;
import com.pactcrm.connector.amocrm.oauth.AmoCrmTokenRevokedException;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.InboundCallLimiter;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * amoCRM's redirect URI. The widget install hook calls it server to server with {@code code},
 * {@code referer} and {@code from_widget} (usually {@code client_id} too), allows at most 3 s and
 * never sends it again (amocrm.md §1.2), so the code is exchanged right here. The button flow comes
 * in the browser with {@code code}, {@code referer} and the {@code state} that
 * {@code /amocrm/oauth/start} issued, which must be recent and unused. In both, {@code referer} is the
 * account host; the client secret goes only to hosts under the allowed suffixes.
 */
@Controller("/amocrm/oauth/callback")
@ExecuteOn(TaskExecutors.BLOCKING)
class AmoCrmOAuthCallbackController {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmOAuthCallbackController.class);
    /** The longest host name DNS allows. */
    private static final int MAX_HOST_LENGTH = 253;

    private final AmoCrmInstallation installer;
    private final AmoCrmConfiguration amocrm;
    private final AmoCrmOAuthStates states;
    private final InboundCallLimiter limiter;

    AmoCrmOAuthCallbackController(AmoCrmInstallation installer, AmoCrmConfiguration amocrm, AmoCrmOAuthStates states,
                                  InboundCallLimiter limiter) {
        this.installer = installer;
        this.amocrm = amocrm;
        this.states = states;
        this.limiter = limiter;
    }

    @Get(produces = MediaType.TEXT_HTML)
    HttpResponse<String> callback(@Nullable @QueryValue String code, @Nullable @QueryValue String referer,
                                  @Nullable @QueryValue("from_widget") String fromWidget,
                                  @Nullable @QueryValue("client_id") String clientId,
                                  @Nullable @QueryValue String state, HttpRequest<?> request) {
        if (!amocrm.configured()) {
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable", "the amoCRM integration is not configured");
        }
        if (code == null || code.isBlank() || referer == null || referer.isBlank()) {
            throw ProblemException.badRequest("code and referer are required");
        }
        if (clientId != null && !clientId.equals(amocrm.clientId())) {
            throw ProblemException.badRequest("this code was issued for another integration");
        }
        // The install hook carries no state (amoCRM's own example skips the check for it, amocrm.md §1.2).
        if (fromWidget == null && !states.consume(state)) {
            LOG.warn("event=amocrm_install_refused reason=state_not_issued_expired_or_used");
            throw ProblemException.badRequest("state is missing, expired or already used: start again from the connect link");
        }
        String host = referer.strip().toLowerCase(Locale.ROOT);
        if (host.length() > MAX_HOST_LENGTH) {
            throw ProblemException.badRequest("referer is not an amoCRM account host");
        }
        // Whoever calls this makes us send our client secret and their code to the account's token endpoint, whose
        // requests count against the account's limit (amocrm.md §4.5): bounded per address and account host.
        limiter.admit(InboundCallLimiter.Kind.INSTALL, request, host);
        try {
            installer.install(host, code);
        } catch (AmoCrmHostNotAllowedException e) {
            // Checked before any request: the client secret never leaves for a foreign host.
            LOG.warn("event=amocrm_install_refused reason=host_not_allowed host={}", host);
            throw ProblemException.badRequest("referer is not an amoCRM account host");
        } catch (AmoCrmTokenRevokedException | AmoCrmOAuthException e) {
            if (e.status() != 400 && e.status() != 401 && e.status() != 403) {
                throw installFailed(host, fromWidget, e);
            }
            // The caller's code: expired (about 20 minutes), already used, or issued to another integration.
            LOG.warn("event=amocrm_install_refused reason=code_refused host={} status={}", host, e.status());
            throw ProblemException.badRequest("amoCRM refused the authorization code: start again from the connect link");
        } catch (OutboundCallException e) {
            throw installFailed(host, fromWidget, e);
        }
        return HttpResponse.ok("<!doctype html><html lang=\"pt\"><meta charset=\"utf-8\"><title>Pact</title>"
                + "<body style=\"font-family:sans-serif\"><h1>Pact conectado ao amoCRM</h1>"
                + "<p>Pode fechar esta janela.</p></body></html>");
    }

    private static ProblemException installFailed(String host, String fromWidget, OutboundCallException e) {
        LOG.error("event=amocrm_install_failed host={} flow={} error=\"{}\"", host, fromWidget != null ? "widget" : "button",
                e.getMessage());
        return new ProblemException(HttpStatus.BAD_GATEWAY, "Bad Gateway", "amoCRM did not complete the installation");
    }
}
