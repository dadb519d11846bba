package com.pactcrm.connector.security;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived bearer tokens for the widget API, signed by the connector (HMAC-SHA256 with a key
 * derived from {@code connector.encryption-key}, so every replica accepts every other's tokens) and
 * bound to one installation, one CRM user and that user's admin flag.
 */
@Singleton
public class SessionTokens {

    /** Who a session belongs to. */
    public record Session(long installationId, String crmUserId, String userName, boolean admin, Instant expiresAt) {
    }

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private final byte[] key;
    private final Duration ttl;
    private final Clock clock;
    private final ObjectMapper json = new ObjectMapper().findAndRegisterModules();

    public SessionTokens(SecretCipher cipher, Clock clock, @Value("${connector.session.ttl:30m}") Duration ttl) {
        this.key = cipher.deriveKey("widget-session-tokens");
        this.clock = clock;
        this.ttl = ttl;
    }

    public String issue(long installationId, String crmUserId, String userName, boolean admin) {
        Session session = new Session(installationId, crmUserId, userName, admin, clock.instant().plus(ttl));
        try {
            String payload = ENCODER.encodeToString(json.writeValueAsBytes(session));
            return payload + "." + ENCODER.encodeToString(sign(payload));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the session, or empty when the token is malformed, forged or expired */
    public Optional<Session> verify(String token) {
        if (token == null) {
            return Optional.empty();
        }
        int dot = token.indexOf('.');
        if (dot <= 0 || dot == token.length() - 1) {
            return Optional.empty();
        }
        String payload = token.substring(0, dot);
        try {
            if (!MessageDigest.isEqual(sign(payload), DECODER.decode(token.substring(dot + 1)))) {
                return Optional.empty();
            }
            Session session = json.readValue(DECODER.decode(payload), Session.class);
            return session.expiresAt().isAfter(clock.instant()) ? Optional.of(session) : Optional.empty();
        } catch (IllegalArgumentException | IOException e) {
            return Optional.empty();
        }
    }

    private byte[] sign(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(payload.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
