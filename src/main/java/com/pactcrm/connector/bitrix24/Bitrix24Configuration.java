package com.pactcrm.connector.bitrix24;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import java.time.Duration;

/**
 * The Bitrix24 application as registered in a portal (local app) or in the vendor console (Market app):
 * its keys, the OAuth server, and the per-portal request budget (bitrix24.md §2, §7.2).
 *
 * @param scheme              {@code https}; {@code http} only for tests against fakes
 * @param drainPerSecond      the portal's leaky bucket drains this many requests per second (2; Enterprise 5)
 * @param burst               the bucket's size (50; Enterprise 250): above it the portal answers 503 QUERY_LIMIT_EXCEEDED
 * @param maxLimiterWait      the longest a caller waits in-process for room in the bucket before the command is rescheduled
 * @param queryLimitBackoff   first pause after a 503 QUERY_LIMIT_EXCEEDED; doubles while they continue
 */
@ConfigurationProperties("connector.bitrix24")
public record Bitrix24Configuration(
        @Nullable String clientId,
        @Nullable String clientSecret,
        @Bindable(defaultValue = "https://oauth.bitrix.info") String oauthUrl,
        @Bindable(defaultValue = "https") String scheme,
        @Bindable(defaultValue = "60s") Duration readTimeout,
        @Bindable(defaultValue = "2") double drainPerSecond,
        @Bindable(defaultValue = "50") int burst,
        @Bindable(defaultValue = "2s") Duration maxLimiterWait,
        @Bindable(defaultValue = "2s") Duration queryLimitBackoff) {

    public boolean configured() {
        return clientId != null && !clientId.isBlank() && clientSecret != null && !clientSecret.isBlank();
    }

    /** The portal's REST base, {@code https://<domain>/rest/}. */
    public String restBase(String host) {
        return scheme + "://" + host + "/rest/";
    }

    @Override
    public String toString() {
        return "Bitrix24Configuration[clientId=" + clientId + ", oauthUrl=" + oauthUrl + "]";
    }
}
