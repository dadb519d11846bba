package com.pactcrm.connector.bitrix24.placement;

import com.fasterxml.jackson.databind.JsonNode;
import com.pactcrm.connector.bitrix24.client.Bitrix24ApiClient;
import com.pactcrm.connector.bitrix24.client.Bitrix24BatchResult;
import com.pactcrm.connector.bitrix24.client.Bitrix24Portal;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.sync.outbox.OutboundCallException;
import com.pactcrm.connector.sync.outbox.OutboundCallException.Disposition;
import io.micronaut.http.HttpStatus;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a frame's {@code AUTH_ID} (the viewing user's access token, bitrix24.md §1.3) by asking the portal who
 * it belongs to: {@code user.current} and {@code user.admin} in one {@code batch}. The call goes only to the
 * domain stored for {@code member_id}; a {@code DOMAIN} that differs from it is refused before any request.
 */
@Singleton
class Bitrix24FrameVerifier {

    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24FrameVerifier.class);

    private final InstallationRepository installations;
    private final Bitrix24ApiClient api;

    Bitrix24FrameVerifier(InstallationRepository installations, Bitrix24ApiClient api) {
        this.installations = installations;
        this.api = api;
    }

    /** @throws ProblemException 400 for missing fields, 401 for a token the portal refuses, 403 for an unknown portal */
    Bitrix24FrameUser verify(String authId, String domain, String memberId) {
        if (authId == null || memberId == null || domain == null) {
            throw ProblemException.badRequest("AUTH_ID, DOMAIN and member_id are required");
        }
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.BITRIX24, memberId)
                .filter(Installation::active)
                .orElseThrow(() -> new ProblemException(HttpStatus.FORBIDDEN, "Forbidden",
                        "the connector is not installed in this Bitrix24 portal"));
        if (!domain.strip().toLowerCase(Locale.ROOT).equals(installation.crmHost().toLowerCase(Locale.ROOT))) {
            LOG.info("event=bitrix24_frame_refused installationId={} reason=domain_mismatch", installation.id());
            throw new ProblemException(HttpStatus.FORBIDDEN, "Forbidden", "DOMAIN is not this portal's domain");
        }
        Map<String, String> who = new LinkedHashMap<>();
        who.put("user", "user.current");
        who.put("admin", "user.admin");
        Bitrix24BatchResult answer;
        try {
            answer = api.batch(new Bitrix24Portal(memberId, installation.crmHost(), authId), who);
        } catch (OutboundCallException e) {
            if (e.status() == 401 || e.status() == 403) {
                LOG.info("event=bitrix24_frame_refused installationId={} reason=token_rejected status={}", installation.id(),
                        e.status());
                throw new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "the portal does not accept this AUTH_ID");
            }
            throw new ProblemException(e.disposition() == Disposition.RATE_LIMITED ? HttpStatus.SERVICE_UNAVAILABLE
                    : HttpStatus.BAD_GATEWAY, "Bitrix24 unavailable", "the portal could not be asked who you are");
        }
        JsonNode user = answer.results().get("user");
        if (user == null || !user.hasNonNull("ID")) {
            throw new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "the portal does not accept this AUTH_ID");
        }
        String name = (user.path("NAME").asText("") + " " + user.path("LAST_NAME").asText("")).strip();
        boolean admin = answer.results().containsKey("admin") && answer.results().get("admin").asBoolean(false);
        return new Bitrix24FrameUser(installation, user.path("ID").asText(), name.isEmpty() ? null : name, admin);
    }
}
