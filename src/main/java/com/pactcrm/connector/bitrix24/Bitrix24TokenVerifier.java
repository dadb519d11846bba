package com.pactcrm.connector.bitrix24;

import com.fasterxml.jackson.databind.JsonNode;
import com.pactcrm.connector.bitrix24.client.Bitrix24ApiClient;
import com.pactcrm.connector.bitrix24.client.Bitrix24BatchResult;
import com.pactcrm.connector.bitrix24.client.Bitrix24Portal;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Asks a portal who holds an access token: {@code user.current}, {@code user.admin} and {@code app.info} in one
 * {@code batch} (bitrix24.md §7.1). Every user who opens one of our frames has a token of this application (the
 * frame's {@code AUTH_ID}), and other applications' users have tokens of theirs, so a token proves nothing until the
 * portal says whose it is:
 * <ul>
 *   <li>the portal: the token goes only to the domain the OAuth server gave for the portal's {@code member_id};
 *       tokens are issued per portal, so one the portal accepts belongs to that portal;</li>
 *   <li>the application: {@code app.info} answers the code of the application the token was issued to, our client
 *       id for ours (https://apidocs.bitrix24.com/api-reference/common/system/app-info.html);</li>
 *   <li>the user and whether they administer the portal ({@code user.admin}).</li>
 * </ul>
 */
@Singleton
public class Bitrix24TokenVerifier {

    /** The holder of a token the portal accepted. */
    public record TokenOwner(String userId, String name, boolean admin, boolean ourApplication) {
    }

    private final Bitrix24ApiClient api;
    private final Bitrix24Configuration config;

    Bitrix24TokenVerifier(Bitrix24ApiClient api, Bitrix24Configuration config) {
        this.api = api;
        this.config = config;
    }

    /**
     * @return empty when the portal does not accept the token (401/403, or no user behind it)
     * @throws OutboundCallException when the portal could not be asked (unreachable, rate limited)
     */
    public Optional<TokenOwner> owner(Bitrix24Portal portal) {
        Map<String, String> who = new LinkedHashMap<>();
        who.put("user", "user.current");
        who.put("admin", "user.admin");
        who.put("app", "app.info");
        Bitrix24BatchResult answer;
        try {
            answer = api.batch(portal, who);
        } catch (OutboundCallException e) {
            if (e.status() == 401 || e.status() == 403) {
                return Optional.empty();
            }
            throw e;
        }
        JsonNode user = answer.results().get("user");
        if (user == null || !user.hasNonNull("ID")) {
            return Optional.empty();
        }
        String name = (user.path("NAME").asText("") + " " + user.path("LAST_NAME").asText("")).strip();
        JsonNode admin = answer.results().get("admin");
        JsonNode app = answer.results().get("app");
        boolean ours = config.clientId() != null && app != null && config.clientId().equals(app.path("CODE").asText(null));
        return Optional.of(new TokenOwner(user.path("ID").asText(), name.isEmpty() ? null : name,
                admin != null && admin.asBoolean(false), ours));
    }
}
