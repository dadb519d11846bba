package com.pactcrm.connector.bitrix24.placement;

import com.pactcrm.connector.bitrix24.Bitrix24Configuration;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpResponse;

/**
 * Pages Bitrix24 shows in its iframes must allow the portal as frame ancestor, or the widget stays blank
 * (bitrix24.md §1.3, https://apidocs.bitrix24.com/local-integrations/site-does-not-allow-connection.html);
 * only that portal is allowed.
 */
public final class Bitrix24Frames {

    private Bitrix24Frames() {
    }

    public static <T> MutableHttpResponse<T> framable(MutableHttpResponse<T> response, Bitrix24Configuration config,
                                                      String portalHost) {
        return response.contentType(MediaType.TEXT_HTML_TYPE)
                .header("Content-Security-Policy", "frame-ancestors 'self' " + origin(config, portalHost))
                .header("Referrer-Policy", "no-referrer")
                .header("Cache-Control", "no-store");
    }

    /** The portal's origin as its pages have it: {@code https://<domain>} ({@code http} only against test fakes). */
    public static String origin(Bitrix24Configuration config, String portalHost) {
        return config.scheme() + "://" + portalHost;
    }
}
