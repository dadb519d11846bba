package com.pactcrm.connector.amocrm;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import java.net.URI;

/**
 * The amoCRM integration as registered in amoCRM: its id (amoCRM calls it {@code client_uuid} in
 * hooks and tokens), secret and redirect URI, and the hosts we accept as an account's address.
 */
@ConfigurationProperties("connector.amocrm")
public record AmoCrmConfiguration(
        @Nullable String clientId,
        @Nullable String clientSecret,
        @Nullable String redirectUri,
        @Bindable(defaultValue = ".amocrm.ru,.amocrm.com,.kommo.com") String allowedHostSuffixes,
        @Bindable(defaultValue = "https") String scheme,
        @Bindable(defaultValue = "https://www.amocrm.ru/oauth") String authorizeUrl) {

    public boolean configured() {
        return clientId != null && !clientId.isBlank() && clientSecret != null && !clientSecret.isBlank();
    }

    /**
     * The audience amoCRM puts in disposable tokens: scheme and host of the redirect URI, no path and
     * no port (amocrm.md §3.6, as amoCRM's own library builds it).
     */
    public String audience() {
        if (redirectUri == null) {
            return null;
        }
        URI uri = URI.create(redirectUri);
        return uri.getScheme() + "://" + uri.getHost();
    }

    @Override
    public String toString() {
        return "AmoCrmConfiguration[clientId=" + clientId + ", redirectUri=" + redirectUri + "]";
    }
}
