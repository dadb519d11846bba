package com.pactcrm.connector.amocrm.automation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The Salesbot widget step "Pact: send a message" as the bot's {@code widget_request} posts it (amocrm.md §6.3):
 * {@code {"token": <HS512 JWT>, "data": {text | waba_id, substitutions}, "return_url": ".../continue/<id>"}}. The
 * lead is the token's {@code entity_id}; the return URL is where the bot waits to go on, and also names the step (one
 * message per step run).
 */
public record AmoCrmSalesbotRequest(String token, String accountId, String leadId, String text, Long wabaId,
                                    List<String> substitutions, URI returnUrl) {

    /** Where amoCRM's bots wait (the only place the connector posts back to). */
    static final Pattern CONTINUE_PATH = Pattern.compile("/api/v4/(salesbot|marketingbot)/\\d{1,18}/continue/\\d{1,18}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads the body; the token's claims are read as they stand (the edge verified the signature). */
    public static AmoCrmSalesbotRequest of(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new UnprocessableEventException("the Salesbot request is not JSON");
        }
        if (root == null || !root.path("token").isTextual() || !root.path("return_url").isTextual()) {
            throw new UnprocessableEventException("the Salesbot request needs token and return_url");
        }
        String token = root.path("token").asText();
        JsonNode claims = claims(token);
        String lead = claims.path("entity_id").asText("");
        if (!lead.matches("\\d{1,18}")) {
            throw new UnprocessableEventException("the Salesbot token names no lead");
        }
        URI returnUrl;
        try {
            returnUrl = URI.create(root.path("return_url").asText());
        } catch (IllegalArgumentException e) {
            throw new UnprocessableEventException("return_url is not a URL");
        }
        if (returnUrl.getPath() == null || !CONTINUE_PATH.matcher(returnUrl.getPath()).matches()) {
            throw new UnprocessableEventException("return_url is not a bot's continue address");
        }
        JsonNode data = root.path("data");
        String waba = data.path("waba_id").asText("").strip();
        List<String> substitutions = new ArrayList<>();
        data.path("substitutions").forEach(v -> substitutions.add(v.asText()));
        return new AmoCrmSalesbotRequest(token, claims.path("account_id").asText(), lead,
                data.path("text").isTextual() ? data.path("text").asText() : null,
                waba.matches("\\d{1,18}") ? Long.valueOf(waba) : null, substitutions, returnUrl);
    }

    /** One message per bot step run. */
    public String trigger() {
        return "salesbot:" + returnUrl.getPath();
    }

    private static JsonNode claims(String token) {
        String[] parts = token.split("\\.");
        if (parts.length != 3) {
            throw new UnprocessableEventException("the Salesbot token is not a JWT");
        }
        try {
            return JSON.readTree(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            throw new UnprocessableEventException("the Salesbot token is not a JWT");
        }
    }
}
