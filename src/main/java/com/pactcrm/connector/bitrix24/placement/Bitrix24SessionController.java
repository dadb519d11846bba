package com.pactcrm.connector.bitrix24.placement;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.pactcrm.connector.security.SessionTokens;
import com.pactcrm.connector.security.SessionTokens.Session;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/sessions/bitrix24}: a Bitrix24 frame (or BX24.js, {@code BX24.getAuth()}) presents its
 * {@code AUTH_ID}, {@code DOMAIN} and {@code member_id}; the portal vouches for the user and the widget API
 * session comes back in the same shape as amoCRM's (ARCHITECTURE §4.2).
 */
@Controller("/api/v1/sessions/bitrix24")
@ExecuteOn(TaskExecutors.BLOCKING)
class Bitrix24SessionController {

    /** The frame's own field names, as Bitrix24 posts them (bitrix24.md §1.3). */
    record SessionRequest(@Nullable @JsonProperty("AUTH_ID") String authId,
                          @Nullable @JsonProperty("DOMAIN") String domain,
                          @Nullable @JsonProperty("member_id") String memberId) {
    }

    record SessionResponse(String token, Instant expiresAt, long installationId, User user) {
        record User(String id, String name, boolean admin) {
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24SessionController.class);

    private final Bitrix24FrameVerifier verifier;
    private final SessionTokens sessions;

    Bitrix24SessionController(Bitrix24FrameVerifier verifier, SessionTokens sessions) {
        this.verifier = verifier;
        this.sessions = sessions;
    }

    @Post
    SessionResponse open(@Body SessionRequest request, HttpRequest<?> http) {
        Bitrix24FrameUser user = verifier.verify(request.authId(), request.domain(), request.memberId(), http);
        String token = sessions.issue(user.installation().id(), user.userId(), user.name(), user.admin());
        Session session = sessions.verify(token).orElseThrow();
        LOG.info("event=session_opened installationId={} crm=bitrix24 crmUser={} admin={}", user.installation().id(),
                user.userId(), user.admin());
        return new SessionResponse(token, session.expiresAt(), user.installation().id(),
                new SessionResponse.User(user.userId(), user.name(), user.admin()));
    }
}
