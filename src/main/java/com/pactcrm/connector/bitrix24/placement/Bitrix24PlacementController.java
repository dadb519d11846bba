package com.pactcrm.connector.bitrix24.placement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.bitrix24.Bitrix24Configuration;
import com.pactcrm.connector.bitrix24.Bitrix24Form;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.SessionTokens;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frames Bitrix24 opens with a POST (bitrix24.md §1.3, §4.2): {@code /bitrix24/placement} for the card's
 * toolbar items and tabs, {@code /bitrix24/app} for the application page. The viewing user's {@code AUTH_ID}
 * is checked with the portal, a widget API session is issued, and a plain page works with it: the card page
 * shows the entity's conversations and starts a chat; the app page shows the connection and lets an admin
 * connect Pact. The entity comes from the {@code PLACEMENT_OPTIONS} JSON string ({@code ID}, or
 * {@code ENTITY_ID} on some toolbars), never from a top-level field.
 */
@Controller("/bitrix24")
@ExecuteOn(TaskExecutors.BLOCKING)
class Bitrix24PlacementController {

    private static final Pattern PLACEMENT = Pattern.compile("CRM_(LEAD|DEAL|CONTACT)_DETAIL_[A-Z_]+");
    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24PlacementController.class);

    private final Bitrix24FrameVerifier verifier;
    private final SessionTokens sessions;
    private final Bitrix24Configuration config;
    private final ObjectMapper json;
    private final String page;

    Bitrix24PlacementController(Bitrix24FrameVerifier verifier, SessionTokens sessions, Bitrix24Configuration config,
                                ObjectMapper json) {
        this.verifier = verifier;
        this.sessions = sessions;
        this.config = config;
        this.json = json;
        this.page = load();
    }

    @Post(uri = "/placement", consumes = MediaType.ALL, produces = MediaType.TEXT_HTML)
    HttpResponse<String> placement(@Nullable @QueryValue("DOMAIN") String domain, @Nullable @Body byte[] body) {
        Bitrix24Form form = parse(body);
        String placement = form.get("PLACEMENT");
        Matcher m = placement == null ? null : PLACEMENT.matcher(placement);
        if (m == null || !m.matches()) {
            throw ProblemException.badRequest("PLACEMENT must be a lead, deal or contact card placement");
        }
        String entityType = m.group(1).toLowerCase(Locale.ROOT);
        String entityId = entityId(form.get("PLACEMENT_OPTIONS"));
        return render(form, domain, entityType, entityId);
    }

    @Post(uri = "/app", consumes = MediaType.ALL, produces = MediaType.TEXT_HTML)
    HttpResponse<String> app(@Nullable @QueryValue("DOMAIN") String domain, @Nullable @Body byte[] body) {
        return render(parse(body), domain, null, null);
    }

    private HttpResponse<String> render(Bitrix24Form form, String domain, String entityType, String entityId) {
        Bitrix24FrameUser user = verifier.verify(form.get("AUTH_ID"), domain, form.get("member_id"));
        String token = sessions.issue(user.installation().id(), user.userId(), user.name(), user.admin());
        LOG.info("event=bitrix24_frame_opened installationId={} crmUser={} entity={}:{}", user.installation().id(),
                user.userId(), entityType, entityId);
        // Every value put into the page is from a fixed set, digits, or base64url: nothing to escape.
        String html = page.replace("{{token}}", token)
                .replace("{{entityType}}", entityType == null ? "" : entityType)
                .replace("{{entityId}}", entityId == null ? "" : entityId)
                .replace("{{admin}}", Boolean.toString(user.admin()));
        return Bitrix24Frames.framable(HttpResponse.ok(html), config, user.installation().crmHost());
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
        if (!id.matches("\\d{1,20}")) {
            throw ProblemException.badRequest("PLACEMENT_OPTIONS has no numeric ID or ENTITY_ID");
        }
        return id;
    }

    private static Bitrix24Form parse(byte[] body) {
        try {
            return Bitrix24Form.parse(body);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("the body is not form-urlencoded");
        }
    }

    private static String load() {
        try (InputStream in = Bitrix24PlacementController.class.getResourceAsStream("/bitrix24/frame.html")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
