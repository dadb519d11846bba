package com.pactcrm.connector.pact.client;

import com.pactcrm.connector.security.SecretMasker;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Pact private API token and the company it acts on. Pact's tokens reach every company of their
 * user, so every v2 call also names the company (https://api.pact.im docs, "Authentication").
 */
public record PactCredentials(String apiToken, long companyId) {

    /**
     * Pact counts its rate limits per user token: this stable, non-secret key names the token in
     * limiter keys and logs.
     */
    public String tokenKey() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(apiToken.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "PactCredentials[apiToken=" + SecretMasker.maskValue(apiToken) + ", companyId=" + companyId + "]";
    }
}
