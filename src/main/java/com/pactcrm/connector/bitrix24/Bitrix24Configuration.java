package com.pactcrm.connector.bitrix24;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.bind.annotation.Bindable;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The Bitrix24 application as registered in a portal (local app) or in the vendor console (Market app):
 * its keys, the OAuth server, and the per-portal request budget (bitrix24.md §2, §7.2).
 *
 * @param scheme              {@code https}; {@code http} only for tests against fakes
 * @param drainPerSecond      the portal's leaky bucket drains this many requests per second (2; Enterprise 5)
 * @param burst               the bucket's size (50; Enterprise 250): above it the portal answers 503 QUERY_LIMIT_EXCEEDED
 * @param maxLimiterWait      the longest a caller waits in-process for room in the bucket before the command is rescheduled
 * @param queryLimitBackoff   first pause after a 503 QUERY_LIMIT_EXCEEDED; doubles while they continue
 * @param portalDomains       where a renamed portal may move: ".bitrix24.com" is one label under bitrix24.com, an entry
 *                            without the leading dot one exact host (tests)
 */
@ConfigurationProperties("connector.bitrix24")
public record Bitrix24Configuration(
        @Nullable String clientId,
        @Nullable String clientSecret,
        @Bindable(defaultValue = "https://oauth.bitrix.info") String oauthUrl,
        @Bindable(defaultValue = "https") String scheme,
        @Bindable(defaultValue = "2") double drainPerSecond,
        @Bindable(defaultValue = "50") int burst,
        @Bindable(defaultValue = "2s") Duration maxLimiterWait,
        @Bindable(defaultValue = "2s") Duration queryLimitBackoff,
        @Bindable(defaultValue = CLOUD_DOMAINS) List<String> portalDomains) {

    /**
     * Bitrix24's cloud zones. A cloud portal renamed by its owner answers from a new name in its zone (bitrix24.md §2,
     * https://apidocs.bitrix24.com/settings/how-to-call-rest-api/change-domen.html); a self-hosted portal that moves is
     * installed again instead.
     */
    static final String CLOUD_DOMAINS = ".bitrix24.com,.bitrix24.ru,.bitrix24.de,.bitrix24.eu,.bitrix24.es,.bitrix24.fr,"
            + ".bitrix24.it,.bitrix24.pl,.bitrix24.uk,.bitrix24.in,.bitrix24.com.br,.bitrix24.com.tr,.bitrix24.by,"
            + ".bitrix24.kz,.bitrix24.ua,.bitrix24.jp,.bitrix24.cn,.bitrix24.id,.bitrix24.vn,.bitrix24.mx,.bitrix24.co";
    private static final Pattern PORTAL_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    public boolean configured() {
        return clientId != null && !clientId.isBlank() && clientSecret != null && !clientSecret.isBlank();
    }

    /**
     * May a portal that answered with a redirect be followed to {@code target}, its access token with it? Only in the
     * configured scheme, to one label under a Bitrix24 zone, without a port ({@code http} fakes excepted).
     */
    public boolean mayMoveTo(URI target) {
        String host = target.getHost() == null ? null : target.getHost().toLowerCase(Locale.ROOT);
        if (host == null || !scheme.equals(target.getScheme()) || target.getRawUserInfo() != null
                || (target.getPort() != -1 && !"http".equals(scheme))) {
            return false;
        }
        for (String domain : portalDomains) {
            String d = domain.strip().toLowerCase(Locale.ROOT);
            if (d.startsWith(".") ? target.getPort() == -1 && host.endsWith(d)
                    && PORTAL_LABEL.matcher(host.substring(0, host.length() - d.length())).matches()
                    : !d.isEmpty() && host.equals(d)) {
                return true;
            }
        }
        return false;
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
