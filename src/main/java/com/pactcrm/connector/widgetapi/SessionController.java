package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.amocrm.widget.AmoCrmDisposableTokenVerifier;
import com.pactcrm.connector.amocrm.widget.AmoCrmDisposableTokenVerifier.WidgetUser;
import com.pactcrm.connector.amocrm.widget.AmoCrmTokenRejectedException;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.security.SessionTokens.Session;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Header;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens widget API sessions for users the CRM vouches for. */
@Controller("/api/v1/sessions")
@ExecuteOn(TaskExecutors.BLOCKING)
class SessionController {

    /** What the widget gets: a bearer token for the other /api/v1 calls. */
    record SessionResponse(String token, Instant expiresAt, long installationId, User user) {
        record User(String id, String name, boolean admin) {
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(SessionController.class);

    private final AmoCrmDisposableTokenVerifier amoCrmTokens;
    private final InstallationRepository installations;
    private final SessionTokens sessions;

    SessionController(AmoCrmDisposableTokenVerifier amoCrmTokens, InstallationRepository installations,
                      SessionTokens sessions) {
        this.amoCrmTokens = amoCrmTokens;
        this.installations = installations;
        this.sessions = sessions;
    }

    @Post("/amocrm")
    SessionResponse amoCrm(@Nullable @Header("X-Auth-Token") String disposableToken,
                           @Nullable @Header("Origin") String origin) {
        WidgetUser user;
        try {
            user = amoCrmTokens.verify(disposableToken);
        } catch (AmoCrmTokenRejectedException e) {
            LOG.info("event=amocrm_session_refused reason=\"{}\"", e.getMessage());
            throw new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "the amoCRM token is not valid");
        }
        if (origin != null && !origin.equals(user.accountAddress())) {
            // The token names the account it was issued in (iss); a page of another account cannot use it.
            LOG.info("event=amocrm_session_refused reason=origin_mismatch");
            throw new ProblemException(HttpStatus.FORBIDDEN, "Forbidden", "this token belongs to another amoCRM account");
        }
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, user.accountId())
                .filter(Installation::active)
                .orElseThrow(() -> new ProblemException(HttpStatus.FORBIDDEN, "Forbidden",
                        "the connector is not installed in this amoCRM account"));
        String token = sessions.issue(installation.id(), user.userId(), null, user.admin());
        Session session = sessions.verify(token).orElseThrow();
        LOG.info("event=session_opened installationId={} crmUser={} admin={}", installation.id(), user.userId(), user.admin());
        return new SessionResponse(token, session.expiresAt(), installation.id(),
                new SessionResponse.User(user.userId(), null, user.admin()));
    }
}
