package com.pactcrm.connector.bitrix24.oauth;

import java.net.URI;
import java.time.Instant;

/**
 * A token pair from the Bitrix24 OAuth server, with what it says about the portal: {@code member_id} and
 * {@code client_endpoint} (the portal's current {@code https://<domain>/rest/}; its {@code domain} field is the
 * OAuth server, not the portal, bitrix24.md §2). Never log the tokens.
 */
public record Bitrix24Tokens(String accessToken, String refreshToken, Instant expiresAt, String memberId,
                             String clientEndpoint, String userId) {

    /** {@code domain[:port]} of {@code client_endpoint}. */
    public String portalHost() {
        URI uri = URI.create(clientEndpoint);
        return uri.getPort() == -1 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
    }

    @Override
    public String toString() {
        return "Bitrix24Tokens[memberId=" + memberId + ", clientEndpoint=" + clientEndpoint + ", expiresAt=" + expiresAt + "]";
    }
}
