package com.pactcrm.connector.amocrm.widget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.amocrm.AmoCrmConfiguration;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies the disposable token amoCRM's {@code $authorizedAjax} sends as {@code X-Auth-Token}: a
 * JWT signed HS256 with the integration's client secret (amocrm.md §3.6; amoCRM docs "One-time
 * tokens for integrations"). Only HS256 is accepted, then signature, time window, audience (scheme
 * and host of our redirect URI) and {@code client_uuid} are checked, and each {@code jti} is
 * accepted once, by whichever replica sees it first ({@link AmoCrmUsedTokens}; nothing shows amoCRM enforcing single
 * use).
 */
@Singleton
public class AmoCrmDisposableTokenVerifier {

    /** The amoCRM user the token speaks for; taken from the signed token, never from the request. */
    public record WidgetUser(String accountId, String subdomain, String userId, boolean admin, String accountAddress) {
    }

    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private final AmoCrmConfiguration amocrm;
    private final Clock clock;
    private final Duration leeway;
    private final AmoCrmUsedTokens usedTokens;
    private final ObjectMapper json = new ObjectMapper();

    AmoCrmDisposableTokenVerifier(AmoCrmConfiguration amocrm, Clock clock,
                                  @Value("${connector.amocrm.token-leeway:60s}") Duration leeway,
                                  AmoCrmUsedTokens usedTokens) {
        this.amocrm = amocrm;
        this.clock = clock;
        this.leeway = leeway;
        this.usedTokens = usedTokens;
    }

    /** @throws AmoCrmTokenRejectedException saying why, for the log (the caller answers a plain 401) */
    public WidgetUser verify(String token) {
        if (!amocrm.configured() || amocrm.audience() == null) {
            throw new AmoCrmTokenRejectedException("the amoCRM integration is not configured");
        }
        JsonNode claims = signedClaims(token, "HS256", "HmacSHA256");
        if (!amocrm.audience().equals(claims.path("aud").asText())) {
            throw new AmoCrmTokenRejectedException("wrong audience " + claims.path("aud").asText());
        }
        if (!amocrm.clientId().equals(claims.path("client_uuid").asText())) {
            throw new AmoCrmTokenRejectedException("issued for another integration");
        }
        String accountId = claims.path("account_id").asText(null);
        String userId = claims.path("user_id").asText(null);
        if (accountId == null || userId == null) {
            throw new AmoCrmTokenRejectedException("account_id or user_id missing");
        }
        // Last: only a token that passed every other check uses up its jti.
        String jti = claims.path("jti").asText(null);
        Instant expiresAt = Instant.ofEpochSecond(claims.path("exp").asLong()).plus(leeway);
        if (jti == null || jti.isEmpty()) {
            throw new AmoCrmTokenRejectedException("jti missing");
        }
        if (!usedTokens.firstUse(jti, expiresAt)) {
            throw new AmoCrmTokenRejectedException("token already used");
        }
        return new WidgetUser(accountId, claims.path("subdomain").asText(null), userId, claims.path("is_admin").asBoolean(false),
                claims.path("iss").asText(null));
    }

    /**
     * A Salesbot / marketing bot {@code widget_request} token (amocrm.md §3.6, §6.3): HS512 with the client secret, as
     * amoCRM's library checks it ({@code parseBotDisposableToken}); its claims ({@code account_id}, {@code entity_id},
     * {@code entity_type}, …) once the signature and times hold.
     *
     * @throws AmoCrmTokenRejectedException saying why
     */
    public JsonNode verifyBotToken(String token) {
        if (!amocrm.configured()) {
            throw new AmoCrmTokenRejectedException("the amoCRM integration is not configured");
        }
        JsonNode claims = signedClaims(token, "HS512", "HmacSHA512");
        if (!claims.path("account_id").canConvertToLong()) {
            throw new AmoCrmTokenRejectedException("account_id missing");
        }
        return claims;
    }

    /** The claims of a JWT signed with the client secret by {@code alg}, once its signature, expiry and start hold. */
    private JsonNode signedClaims(String token, String alg, String macAlgorithm) {
        String[] parts = token == null ? new String[0] : token.strip().split("\\.");
        if (parts.length != 3) {
            throw new AmoCrmTokenRejectedException("not a JWT");
        }
        JsonNode header = decode(parts[0]);
        if (!alg.equals(header.path("alg").asText())) {
            throw new AmoCrmTokenRejectedException("algorithm " + header.path("alg").asText() + " is not " + alg);
        }
        byte[] expected = hmac(parts[0] + "." + parts[1], macAlgorithm);
        byte[] given;
        try {
            given = DECODER.decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new AmoCrmTokenRejectedException("signature is not base64url");
        }
        if (!MessageDigest.isEqual(expected, given)) {
            throw new AmoCrmTokenRejectedException("bad signature");
        }
        JsonNode claims = decode(parts[1]);
        Instant now = clock.instant();
        if (!claims.path("exp").canConvertToLong() || Instant.ofEpochSecond(claims.path("exp").asLong()).plus(leeway).isBefore(now)) {
            throw new AmoCrmTokenRejectedException("expired");
        }
        if (claims.path("nbf").canConvertToLong() && Instant.ofEpochSecond(claims.path("nbf").asLong()).minus(leeway).isAfter(now)) {
            throw new AmoCrmTokenRejectedException("not valid yet");
        }
        return claims;
    }

    private JsonNode decode(String part) {
        try {
            JsonNode node = json.readTree(DECODER.decode(part));
            if (node == null || !node.isObject()) {
                throw new AmoCrmTokenRejectedException("malformed JWT part");
            }
            return node;
        } catch (IOException | IllegalArgumentException e) {
            throw new AmoCrmTokenRejectedException("malformed JWT part");
        }
    }

    private byte[] hmac(String signingInput, String algorithm) {
        try {
            Mac mac = Mac.getInstance(algorithm);
            // The secret is used as plain UTF-8 bytes, as amoCRM's own library does (amocrm.md §3.6).
            mac.init(new SecretKeySpec(amocrm.clientSecret().getBytes(StandardCharsets.UTF_8), algorithm));
            return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
