package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.security.SessionTokens.Session;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import com.pactcrm.connector.installation.InstallationRepository;
import io.micronaut.http.HttpStatus;
import jakarta.inject.Singleton;
import java.net.URI;

/**
 * Every widget API call but opening a session carries {@code Authorization: Bearer <session token>}.
 * A browser call must also come from the installation's own CRM account (or from the connector's own
 * pages): CORS lets any amoCRM account's page call us, this check narrows it to the right one.
 */
@Singleton
class WidgetAuth {

    /** The session and its installation, both checked. */
    record Caller(Session session, Installation installation) {
    }

    private final SessionTokens sessions;
    private final InstallationRepository installations;
    private final String ownOrigin;

    WidgetAuth(SessionTokens sessions, InstallationRepository installations,
               @Value("${connector.public-url}") String publicUrl) {
        this.sessions = sessions;
        this.installations = installations;
        this.ownOrigin = originOf(publicUrl);
    }

    /** A valid session of an active installation, called from that installation's pages. */
    Caller caller(@Nullable String authorization, @Nullable String origin) {
        Session session = require(authorization);
        Installation installation = installations.findById(session.installationId()).filter(Installation::active)
                .orElseThrow(() -> new ProblemException(HttpStatus.FORBIDDEN, "Forbidden", "the connector is not active here"));
        requireOrigin(origin, installation);
        return new Caller(session, installation);
    }

    /**
     * As {@link #caller} for a CRM administrator: every settings endpoint checks this on the server,
     * whatever the page shows.
     */
    Caller admin(@Nullable String authorization, @Nullable String origin) {
        Session session = require(authorization);
        if (!session.admin()) {
            throw new ProblemException(HttpStatus.FORBIDDEN, "Forbidden", "only CRM administrators can see or change the settings");
        }
        return caller(authorization, origin);
    }

    /** @throws ProblemException 403 when a browser sent the call from another account's page */
    void requireOrigin(@Nullable String origin, Installation installation) {
        if (origin == null || origin.equals(ownOrigin) || origin.equals("https://" + installation.crmHost())) {
            return;
        }
        throw new ProblemException(HttpStatus.FORBIDDEN, "Forbidden", "this call comes from another CRM account's page");
    }

    private static String originOf(String url) {
        URI uri = URI.create(url);
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    }

    Session require(String authorization) {
        String token = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).strip() : null;
        return sessions.verify(token).orElseThrow(() ->
                new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "a valid session token is required"));
    }
}
