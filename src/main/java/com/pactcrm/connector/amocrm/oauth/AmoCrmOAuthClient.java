package com.pactcrm.connector.amocrm.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.amocrm.client.AmoCrmAccount;
import com.pactcrm.connector.sync.resilience.OutboundCallMetrics;
import com.pactcrm.connector.sync.resilience.OutboundRateLimiters;
import com.pactcrm.connector.sync.resilience.RateLimitWaitTooLongException;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.DefaultHttpClientConfiguration;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientException;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * amoCRM's OAuth token endpoint, {@code POST {scheme}://{account host}/oauth2/access_token} with a JSON
 * body (amocrm.md §1.3; P: https://developers.kommo.com/reference/get-token). The endpoint lives on
 * each account's own host, so the host is an argument, and because the request carries the client
 * secret the host must be an account host under {@code connector.amocrm.allowed-host-suffixes}: a forged
 * {@code referer} must never make us post the secret elsewhere. An account host is exactly one label under a suffix
 * ({@code acme.amocrm.ru}, amocrm.md §1.2) with no port; deeper names ({@code x.acme.amocrm.ru}) are not accounts
 * and could be anything amoCRM serves. The check runs before any I/O, and redirects are not followed: the secret goes
 * only to the host that passed it.
 *
 * <p>Timeouts follow the official library: 5 s connect, 15 s for the OAuth call
 * ({@code AmoCRMOAuth::REQUEST_TIMEOUT}, amocrm.md §1.3).
 */
@Singleton
public class AmoCrmOAuthClient {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmOAuthClient.class);
    private static final String TARGET = "amocrm-oauth";
    static final String TOKEN_PATH = "/oauth2/access_token";
    static final String SUBDOMAIN_PATH = "/oauth2/account/current/subdomain";
    /** An account's subdomain: one DNS label. */
    private static final Pattern ACCOUNT_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    /** A token call is rare and everything else of the account waits for it: it may wait its turn a while. */
    private static final Duration OAUTH_LIMITER_WAIT = Duration.ofSeconds(10);

    private final HttpClient http;
    private final OutboundRateLimiters rateLimiters;
    private final OutboundCallMetrics metrics;
    private final ObjectMapper json;
    private final Clock clock;
    private final String scheme;
    private final String clientId;
    private final String clientSecret;
    private final String redirectUri;
    private final List<String> allowedHostSuffixes;

    public AmoCrmOAuthClient(ObjectMapper json,
                             OutboundRateLimiters rateLimiters,
                             OutboundCallMetrics metrics,
                             Clock clock,
                             @Value("${connector.amocrm.scheme:https}") String scheme,
                             @Value("${connector.amocrm.client-id:}") String clientId,
                             @Value("${connector.amocrm.client-secret:}") String clientSecret,
                             @Value("${connector.amocrm.redirect-uri:}") String redirectUri,
                             @Value("${connector.amocrm.allowed-host-suffixes:.amocrm.ru,.amocrm.com,.kommo.com}") String allowedHostSuffixes,
                             @Value("${connector.amocrm.oauth-read-timeout:15s}") Duration readTimeout) {
        if (!"https".equals(scheme) && !"http".equals(scheme)) {
            throw new IllegalStateException("connector.amocrm.scheme must be https (or http for tests)");
        }
        this.json = json;
        this.rateLimiters = rateLimiters;
        this.metrics = metrics;
        this.clock = clock;
        this.scheme = scheme;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
        this.redirectUri = redirectUri;
        this.allowedHostSuffixes = Arrays.stream(allowedHostSuffixes.split(","))
                .map(s -> s.strip().toLowerCase(Locale.ROOT))
                .filter(s -> !s.isEmpty() && !".".equals(s))
                .toList();
        DefaultHttpClientConfiguration config = new DefaultHttpClientConfiguration();
        config.setReadTimeout(readTimeout);
        config.setConnectTimeout(Duration.ofSeconds(5));
        config.setFollowRedirects(false);
        // No base URL: every request names the account's own host.
        this.http = HttpClient.create(null, config);
    }

    @PreDestroy
    void close() {
        http.close();
    }

    /** Exchanges an authorization code (valid about 20 minutes, amocrm.md §1.2) for a token pair. */
    public AmoCrmTokens exchangeCode(String accountHost, String code) {
        ObjectNode body = baseBody("authorization_code");
        body.put("code", code);
        return call(accountHost, body);
    }

    /**
     * Trades a refresh token for a new pair. The old refresh token is void from then on (amocrm.md
     * §1.4): the caller must store the new pair before anything else.
     */
    public AmoCrmTokens refresh(String accountHost, String refreshToken) {
        ObjectNode body = baseBody("refresh_token");
        body.put("refresh_token", refreshToken);
        return call(accountHost, body);
    }

    /**
     * Where the account lives now, when its subdomain changed: the access token's {@code api_domain} claim
     * (tokens issued since 2024-08-21) names amoCRM's shared API host, and
     * {@code GET https://{api_domain}/oauth2/account/current/subdomain} with {@code X-Refresh-Token} answers the
     * account's current {@code domain} (amocrm.md §1.5; L: {@code AmoCRMOAuth::getAccountDomainByRefreshToken}).
     * The refresh token only goes to an allowed host, and only an allowed host is returned.
     *
     * @return empty when the token has no claim, the lookup fails, or the answer is not an allowed host
     */
    public Optional<String> currentAccountHost(String accessToken, String refreshToken) {
        Optional<String> apiDomain = apiDomainClaim(accessToken);
        if (apiDomain.isEmpty()) {
            return Optional.empty();
        }
        try {
            URI lookup = endpoint(apiDomain.get(), SUBDOMAIN_PATH);
            HttpResponse<String> response = http.toBlocking().exchange(HttpRequest.GET(lookup)
                    .header("X-Refresh-Token", refreshToken).accept(MediaType.APPLICATION_JSON_TYPE), String.class);
            JsonNode answer = json.readTree(response.getBody().orElse("{}"));
            String domain = answer == null ? null : answer.path("domain").asText(null);
            if (domain == null || domain.isBlank()) {
                return Optional.empty();
            }
            // The answer becomes the host our secret and tokens go to: it must pass the same check as a referer.
            tokenEndpoint(domain);
            return Optional.of(domain.strip().toLowerCase(Locale.ROOT));
        } catch (AmoCrmHostNotAllowedException e) {
            LOG.warn("event=amocrm_subdomain_lookup_refused reason=\"{}\"", e.getMessage());
        } catch (HttpClientException | IOException e) {
            LOG.warn("event=amocrm_subdomain_lookup_failed error=\"{}\"", e.getMessage());
        }
        return Optional.empty();
    }

    /** The {@code api_domain} claim of an amoCRM access token (a JWT); read, not verified: it only says where to ask. */
    private Optional<String> apiDomainClaim(String accessToken) {
        String[] parts = accessToken == null ? new String[0] : accessToken.split("\\.");
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            JsonNode claims = json.readTree(Base64.getUrlDecoder().decode(parts[1]));
            String apiDomain = claims == null ? null : claims.path("api_domain").asText(null);
            return apiDomain == null || apiDomain.isBlank() ? Optional.empty() : Optional.of(apiDomain.strip());
        } catch (IllegalArgumentException | IOException e) {
            return Optional.empty();
        }
    }

    /** The token endpoint for this host, or {@link AmoCrmHostNotAllowedException} when the host is not an amoCRM one. */
    URI tokenEndpoint(String accountHost) {
        return endpoint(accountHost, TOKEN_PATH);
    }

    private URI endpoint(String accountHost, String path) {
        if (accountHost == null || accountHost.isBlank()) {
            throw new AmoCrmHostNotAllowedException("amoCRM account host is missing");
        }
        URI uri;
        try {
            uri = new URI(scheme + "://" + accountHost.strip() + path);
        } catch (URISyntaxException e) {
            throw new AmoCrmHostNotAllowedException("amoCRM account host is not a host name");
        }
        // A referer such as "evil.com/x.amocrm.ru" or "x.amocrm.ru@evil.com" parses into something
        // else than a bare host: insist on exactly host[:port].
        String host = uri.getHost();
        if (host == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || !path.equals(uri.getRawPath())) {
            throw new AmoCrmHostNotAllowedException("amoCRM account host is not a host name");
        }
        if (!hostAllowed(host.toLowerCase(Locale.ROOT), uri.getPort())) {
            throw new AmoCrmHostNotAllowedException("host " + host + " is not an account host under "
                    + "connector.amocrm.allowed-host-suffixes");
        }
        return uri;
    }

    /**
     * ".amocrm.ru" matches one label under amocrm.ru ({@code acme.amocrm.ru}, not {@code x.acme.amocrm.ru}), without a
     * port; an entry without the dot ("127.0.0.1") matches that host exactly. Ports only with {@code scheme=http}: the
     * test fakes listen on free ports, amoCRM never does.
     */
    private boolean hostAllowed(String host, int port) {
        if (port != -1 && !"http".equals(scheme)) {
            return false;
        }
        for (String suffix : allowedHostSuffixes) {
            if (suffix.startsWith(".") ? port == -1 && host.endsWith(suffix)
                    && ACCOUNT_LABEL.matcher(host.substring(0, host.length() - suffix.length())).matches()
                    : host.equals(suffix)) {
                return true;
            }
        }
        return false;
    }

    private ObjectNode baseBody(String grantType) {
        if (clientId.isBlank() || clientSecret.isBlank()) {
            throw new IllegalStateException("connector.amocrm.client-id and client-secret must be set");
        }
        ObjectNode body = json.createObjectNode();
        body.put("client_id", clientId);
        body.put("client_secret", clientSecret);
        body.put("grant_type", grantType);
        body.put("redirect_uri", redirectUri);
        return body;
    }

    private AmoCrmTokens call(String accountHost, ObjectNode body) {
        URI endpoint = tokenEndpoint(accountHost);
        String grantType = body.path("grant_type").asText();
        Instant sentAt = clock.instant();
        // "refresh" as Bitrix24OAuthClient names it: one alert watches both CRMs' refreshes.
        String operation = "refresh_token".equals(grantType) ? "refresh" : "exchange";
        long start = System.nanoTime();
        HttpResponse<String> response;
        // amoCRM counts every request to the account's host, its token endpoint included (§4.5): one limiter for both.
        try (var permit = rateLimiters.acquire("amocrm", AmoCrmAccount.limiterKeyOf(endpoint), "default", OAUTH_LIMITER_WAIT)) {
            response = http.toBlocking().exchange(
                    HttpRequest.POST(endpoint, json.writeValueAsString(body))
                            .contentType(MediaType.APPLICATION_JSON_TYPE)
                            .accept(MediaType.APPLICATION_JSON_TYPE),
                    String.class);
        } catch (HttpClientResponseException e) {
            metrics.record(TARGET, operation, "rejected", start);
            throw classify(endpoint, grantType, e);
        } catch (HttpClientException e) {
            metrics.record(TARGET, operation, "io_error", start);
            LOG.warn("event=amocrm_oauth_failed host={} grant={} error=\"{}\"", endpoint.getHost(), grantType, e.getMessage());
            throw new AmoCrmOAuthException("amoCRM token endpoint unreachable: " + e.getMessage(), 0, e);
        } catch (RateLimitWaitTooLongException e) {
            throw new AmoCrmOAuthException("amoCRM token endpoint not called: the account's rate limit is used up", 429, e);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        metrics.record(TARGET, operation, "ok", start);
        return tokens(response.getBody().orElse(""), sentAt, response.getStatus().getCode());
    }

    private AmoCrmTokens tokens(String body, Instant sentAt, int status) {
        JsonNode node;
        try {
            node = json.readTree(body);
        } catch (IOException e) {
            throw new AmoCrmOAuthException("amoCRM token response is not JSON", status, null);
        }
        String access = node == null ? null : node.path("access_token").asText(null);
        String refresh = node == null ? null : node.path("refresh_token").asText(null);
        long expiresIn = node == null ? 0 : node.path("expires_in").asLong(0);
        if (access == null || access.isEmpty() || refresh == null || refresh.isEmpty() || expiresIn <= 0) {
            throw new AmoCrmOAuthException("amoCRM token response lacks access_token, refresh_token or expires_in", status, null);
        }
        return new AmoCrmTokens(access, refresh, sentAt.plusSeconds(expiresIn));
    }

    /**
     * 400/401 naming {@code invalid_grant} or "Token has been revoked" (the answer to a refresh token used
     * twice, I: amocrm/amocrm-api-php#123) is final; anything else may pass and is retryable.
     */
    private RuntimeException classify(URI endpoint, String grantType, HttpClientResponseException e) {
        int status = e.getStatus().getCode();
        String body = e.getResponse().getBody(String.class).orElse("");
        String detail = errorDetail(body);
        LOG.warn("event=amocrm_oauth_rejected host={} grant={} status={} detail=\"{}\"", endpoint.getHost(), grantType,
                status, detail);
        String lower = body.toLowerCase(Locale.ROOT);
        if ((status == 400 || status == 401) && (lower.contains("invalid_grant") || lower.contains("revoked"))) {
            return new AmoCrmTokenRevokedException("amoCRM refused the " + grantType + " grant: " + detail, status);
        }
        return new AmoCrmOAuthException("amoCRM token endpoint answered " + status + ": " + detail, status, e);
    }

    /** The problem+json fields worth logging; the body itself is never echoed (it could hold anything). */
    private String errorDetail(String body) {
        try {
            JsonNode node = json.readTree(body);
            if (node != null && node.isObject()) {
                StringBuilder sb = new StringBuilder();
                for (String field : List.of("title", "hint", "detail", "error", "error_description")) {
                    if (node.path(field).isTextual()) {
                        if (!sb.isEmpty()) {
                            sb.append("; ");
                        }
                        sb.append(field).append('=').append(abbreviate(node.path(field).asText()));
                    }
                }
                return sb.toString();
            }
        } catch (IOException ignored) {
            // Not JSON (an nginx page, for instance): nothing structured to report.
        }
        return "non-JSON body";
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
