package com.pactcrm.connector.widgetapi;

import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.security.SessionTokens.Session;
import io.micronaut.http.HttpStatus;
import jakarta.inject.Singleton;

/** Every widget API call but opening a session carries {@code Authorization: Bearer <session token>}. */
@Singleton
class WidgetAuth {

    private final SessionTokens sessions;

    WidgetAuth(SessionTokens sessions) {
        this.sessions = sessions;
    }

    Session require(String authorization) {
        String token = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).strip() : null;
        return sessions.verify(token).orElseThrow(() ->
                new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "a valid session token is required"));
    }
}
