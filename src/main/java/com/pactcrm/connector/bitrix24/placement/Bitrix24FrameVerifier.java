package com.pactcrm.connector.bitrix24.placement;

import com.pactcrm.connector.bitrix24.Bitrix24MemberId;
import com.pactcrm.connector.bitrix24.Bitrix24TokenVerifier;
import com.pactcrm.connector.bitrix24.Bitrix24TokenVerifier.TokenOwner;
import com.pactcrm.connector.bitrix24.client.Bitrix24Portal;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.InboundCallLimiter;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpStatus;
import jakarta.inject.Singleton;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a frame's {@code AUTH_ID} (the viewing user's access token, bitrix24.md §1.3) by asking the portal whose it
 * is ({@link Bitrix24TokenVerifier}: {@code user.current}, {@code user.admin} and {@code app.info} in one
 * {@code batch}). The call goes only to the domain stored for {@code member_id}; a {@code DOMAIN} that differs from it
 * is refused before any request. The token must be this application's: a token another application holds for a user
 * of the same portal (its vendor, or anyone it leaked to) is accepted by {@code user.current} too, and would otherwise
 * open a connector session, an administrator's included.
 */
@Singleton
class Bitrix24FrameVerifier {

    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24FrameVerifier.class);

    private final InstallationRepository installations;
    private final Bitrix24TokenVerifier tokens;
    private final InboundCallLimiter limiter;

    Bitrix24FrameVerifier(InstallationRepository installations, Bitrix24TokenVerifier tokens, InboundCallLimiter limiter) {
        this.installations = installations;
        this.tokens = tokens;
        this.limiter = limiter;
    }

    /**
     * @throws ProblemException 400 for missing fields, 401 for a token the portal refuses, 403 for an unknown portal,
     *                          429 when this address or portal asked too often
     */
    Bitrix24FrameUser verify(String authId, String domain, String memberId, HttpRequest<?> request) {
        if (authId == null || memberId == null || domain == null) {
            throw ProblemException.badRequest("AUTH_ID, DOMAIN and member_id are required");
        }
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.BITRIX24, Bitrix24MemberId.require(memberId))
                .filter(Installation::active)
                .orElseThrow(() -> new ProblemException(HttpStatus.FORBIDDEN, "Forbidden",
                        "the connector is not installed in this Bitrix24 portal"));
        if (!domain.strip().toLowerCase(Locale.ROOT).equals(installation.crmHost().toLowerCase(Locale.ROOT))) {
            LOG.info("event=bitrix24_frame_refused installationId={} reason=domain_mismatch", installation.id());
            throw new ProblemException(HttpStatus.FORBIDDEN, "Forbidden", "DOMAIN is not this portal's domain");
        }
        limiter.admit(InboundCallLimiter.Kind.VERIFY, request, installation.crmAccountId());
        TokenOwner owner;
        try {
            owner = tokens.owner(new Bitrix24Portal(installation.crmAccountId(), installation.crmHost(), authId))
                    .orElse(null);
        } catch (OutboundCallException e) {
            throw new ProblemException(e.disposition() == Disposition.RATE_LIMITED ? HttpStatus.SERVICE_UNAVAILABLE
                    : HttpStatus.BAD_GATEWAY, "Bitrix24 unavailable", "the portal could not be asked who you are");
        }
        if (owner == null) {
            LOG.info("event=bitrix24_frame_refused installationId={} reason=token_rejected", installation.id());
            throw new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "the portal does not accept this AUTH_ID");
        }
        if (!owner.ourApplication()) {
            LOG.warn("event=bitrix24_frame_refused installationId={} reason=token_of_another_application crmUser={}",
                    installation.id(), owner.userId());
            throw new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "this AUTH_ID is not this application's");
        }
        return new Bitrix24FrameUser(installation, owner.userId(), owner.name(), owner.admin());
    }
}
