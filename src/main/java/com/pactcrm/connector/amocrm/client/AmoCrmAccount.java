package com.pactcrm.connector.amocrm.client;

import com.pactcrm.connector.security.SecretMasker;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * One amoCRM/Kommo account as the API client sees it: the account's own base URL (for example
 * {@code https://acme.amocrm.ru} or {@code https://acme.kommo.com}) and its OAuth access token. Every
 * account has its own host and calls must never go to {@code www.} (amocrm.md §0;
 * https://developers.kommo.com/docs/limitations), so the URL travels with every call.
 */
public record AmoCrmAccount(String baseUrl, String accessToken) {

    public AmoCrmAccount {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(accessToken, "accessToken");
        baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        if (URI.create(baseUrl).getHost() == null) {
            throw new IllegalArgumentException("An amoCRM base URL needs a scheme and a host: " + baseUrl);
        }
    }

    /** {@code https://} plus the host amoCRM sends as {@code referer} on the install hook (amocrm.md §1.2). */
    public static AmoCrmAccount ofHost(String host, String accessToken) {
        return new AmoCrmAccount("https://" + host, accessToken);
    }

    /**
     * The key the rate limiter counts this account under. amoCRM limits per account (amocrm.md §4.5) and a
     * host names exactly one account; the host is known before {@code GET /api/v4/account} has told us the
     * numeric id, which the install flow needs to call first. A port is kept so that two fakes on one test
     * host never share a bucket.
     */
    public String limiterKey() {
        return limiterKeyOf(URI.create(baseUrl));
    }

    /** The limiter key of any URL on an account's host: its OAuth endpoint counts against the same limit (§4.5). */
    public static String limiterKeyOf(URI uri) {
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        return uri.getPort() == -1 ? host : host + ":" + uri.getPort();
    }

    @Override
    public String toString() {
        return "AmoCrmAccount[baseUrl=" + baseUrl + ", accessToken=" + SecretMasker.maskValue(accessToken) + "]";
    }
}
