package com.pactcrm.connector.pact.client;

import com.pactcrm.connector.security.Hashes;
import com.pactcrm.connector.security.SecretMasker;

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
        return Hashes.sha256Hex(apiToken).substring(0, 16);
    }

    @Override
    public String toString() {
        return "PactCredentials[apiToken=" + SecretMasker.maskValue(apiToken) + ", companyId=" + companyId + "]";
    }
}
