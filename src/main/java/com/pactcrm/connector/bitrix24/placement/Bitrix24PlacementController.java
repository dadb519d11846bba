package com.pactcrm.connector.bitrix24.placement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.crm.CrmEntityIds;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.crm.form.MalformedFormException;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.SessionTokens;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frames Bitrix24 opens with a POST (bitrix24.md §1.3, §4.2): {@code /bitrix24/placement} for the card's
 * toolbar items and tabs, {@code /bitrix24/app} for the application page. The viewing user's {@code AUTH_ID} is
 * checked with the portal (as {@code POST /api/v1/sessions/bitrix24} does), a widget API session is issued, and
 * the frame is sent on with a 303 to the connector's own UI: {@code /ui/card} for the entity, {@code /ui/settings}
 * for the app page (which refuses non-admins politely). The session travels in the URL fragment, which no server
 * log or {@code Referer} sees; {@code portal} (the {@code member_id}) lets {@code /ui} allow this portal, and only
 * it, as frame ancestor. The entity comes from the {@code PLACEMENT_OPTIONS} JSON string ({@code ID}, or
 * {@code ENTITY_ID} on some toolbars), never from a top-level field.
 */
@Controller("/bitrix24")
@ExecuteOn(TaskExecutors.BLOCKING)
class Bitrix24PlacementController {

    private static final Pattern PLACEMENT = Pattern.compile("CRM_(LEAD|DEAL|CONTACT)_DETAIL_(TAB|TOOLBAR)");
    /** Bitrix24's interface languages (its {@code LANG}) → the UI's; others leave the installation's language setting. */
    private static final Map<String, String> LANGUAGES = Map.of("br", "pt", "pt", "pt", "la", "es", "es", "es",
            "en", "en", "ru", "ru");
    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24PlacementController.class);

    private final Bitrix24FrameVerifier verifier;
    private final SessionTokens sessions;
    private final ObjectMapper json;

    Bitrix24PlacementController(Bitrix24FrameVerifier verifier, SessionTokens sessions, ObjectMapper json) {
        this.verifier = verifier;
        this.sessions = sessions;
        this.json = json;
    }

    @Post(uri = "/placement", consumes = MediaType.ALL)
    HttpResponse<?> placement(@Nullable @QueryValue("DOMAIN") String domain, @Nullable @QueryValue("LANG") String lang,
                              @Nullable @Body byte[] body, HttpRequest<?> request) {
        BracketedForm form = parse(body);
        String placement = form.get("PLACEMENT");
        Matcher m = placement == null ? null : PLACEMENT.matcher(placement);
        if (m == null || !m.matches()) {
            throw ProblemException.badRequest("PLACEMENT must be a lead, deal or contact card tab or toolbar");
        }
        String entityType = m.group(1).toLowerCase(Locale.ROOT);
        String entityId = entityId(form.get("PLACEMENT_OPTIONS"));
        return open(form, domain, lang, "/ui/card?entityType=" + entityType + "&entityId=" + entityId + "&", request);
    }

    @Post(uri = "/app", consumes = MediaType.ALL)
    HttpResponse<?> app(@Nullable @QueryValue("DOMAIN") String domain, @Nullable @QueryValue("LANG") String lang,
                        @Nullable @Body byte[] body, HttpRequest<?> request) {
        return open(parse(body), domain, lang, "/ui/settings?", request);
    }

    private HttpResponse<?> open(BracketedForm form, String domain, String lang, String page, HttpRequest<?> request) {
        Bitrix24FrameUser user = verifier.verify(form.get("AUTH_ID"), domain, form.get("member_id"), request);
        String token = sessions.issue(user.installation().id(), user.userId(), user.name(), user.admin());
        LOG.info("event=bitrix24_frame_opened installationId={} crmUser={} page=\"{}\"", user.installation().id(),
                user.userId(), page);
        String language = lang == null ? null : LANGUAGES.get(lang.toLowerCase(Locale.ROOT));
        String location = page + "portal=" + URLEncoder.encode(user.installation().crmAccountId(), StandardCharsets.UTF_8)
                + "#token=" + token + (language == null ? "" : "&lang=" + language);
        // The Location carries a session: never cached, and the portal's address is not passed on.
        return HttpResponse.status(HttpStatus.SEE_OTHER).header("Location", location)
                .header("Cache-Control", "no-store").header("Referrer-Policy", "no-referrer");
    }

    private String entityId(String options) {
        if (options == null) {
            throw ProblemException.badRequest("PLACEMENT_OPTIONS is required");
        }
        JsonNode node;
        try {
            node = json.readTree(options);
        } catch (IOException e) {
            throw ProblemException.badRequest("PLACEMENT_OPTIONS is not JSON");
        }
        String id = node.path("ID").asText(node.path("ENTITY_ID").asText(""));
        if (!CrmEntityIds.valid(id)) {
            throw ProblemException.badRequest("PLACEMENT_OPTIONS has no numeric ID or ENTITY_ID");
        }
        return id;
    }

    private static BracketedForm parse(byte[] body) {
        try {
            return BracketedForm.parse(body);
        } catch (MalformedFormException e) {
            throw ProblemException.badRequest("the body is not form-urlencoded");
        }
    }
}
