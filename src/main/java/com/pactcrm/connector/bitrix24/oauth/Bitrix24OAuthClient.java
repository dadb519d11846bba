package com.pactcrm.connector.bitrix24.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.bitrix24.Bitrix24Configuration;
import com.pactcrm.connector.sync.resilience.OutboundCallMetrics;
import com.pactcrm.connector.sync.resilience.OutboundFailures;
import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.client.DefaultHttpClientConfiguration;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientException;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import io.micronaut.http.uri.UriBuilder;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Bitrix24 OAuth server ({@code connector.bitrix24.oauth-url}, {@code https://oauth.bitrix.info}). Only
 * it issues tokens, and the client secret goes only there, never to a portal (bitrix24.md §2):
 * {@code GET /oauth/token/?grant_type=refresh_token&client_id&client_secret&refresh_token}.
 */
@Singleton
public class Bitrix24OAuthClient {

    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24OAuthClient.class);
    private static final String TARGET = "bitrix24-oauth";

    private final Bitrix24Configuration config;
    private final ObjectMapper json;
    private final Clock clock;
    private final OutboundCallMetrics metrics;
    private final HttpClient http;

    public Bitrix24OAuthClient(Bitrix24Configuration config, ObjectMapper json, Clock clock, OutboundCallMetrics metrics) {
        this.config = config;
        this.json = json;
        this.clock = clock;
        this.metrics = metrics;
        DefaultHttpClientConfiguration http = new DefaultHttpClientConfiguration();
        http.setReadTimeout(Duration.ofSeconds(15));
        http.setConnectTimeout(Duration.ofSeconds(5));
        // The request carries the client secret and a refresh token: only ever to the OAuth server itself.
        http.setFollowRedirects(false);
        this.http = HttpClient.create(null, http);
    }

    @PreDestroy
    void close() {
        http.close();
    }

    /**
     * Trades a refresh token for a new pair. The used refresh token must be treated as dead from then on
     * (legacy docs: single use), so the caller stores the new pair before anything else.
     */
    public Bitrix24Tokens refresh(String refreshToken) {
        if (!config.configured()) {
            throw new IllegalStateException("connector.bitrix24.client-id and client-secret must be set");
        }
        URI uri = UriBuilder.of(URI.create(config.oauthUrl())).path("/oauth/token/")
                .queryParam("grant_type", "refresh_token")
                .queryParam("client_id", config.clientId())
                .queryParam("client_secret", config.clientSecret())
                .queryParam("refresh_token", refreshToken)
                .build();
        Instant sentAt = clock.instant();
        long start = System.nanoTime();
        HttpResponse<String> response;
        try {
            response = http.toBlocking().exchange(HttpRequest.GET(uri).accept(MediaType.APPLICATION_JSON_TYPE),
                    Argument.STRING, Argument.STRING);
        } catch (HttpClientResponseException e) {
            JsonNode body = parse(e.getResponse().getBody(String.class).orElse(""));
            String error = body == null ? null : body.path("error").asText(null);
            String description = body == null ? null : body.path("error_description").asText(null);
            metrics.record(TARGET, "refresh", "rejected", start);
            LOG.warn("event=bitrix24_oauth_rejected status={} error=\"{}\" description=\"{}\"", e.getStatus().getCode(), error,
                    description);
            throw Bitrix24OAuthException.of("Bitrix24 OAuth server answered " + e.getStatus().getCode() + " " + error
                    + (description == null ? "" : ": " + description), e.getStatus().getCode(), error, e);
        } catch (HttpClientException e) {
            metrics.record(TARGET, "refresh", "io_error", start);
            // The request URL carries the client secret and refresh token (Bitrix24's GET form): the transport
            // error's text, which may quote it, is kept out of messages that reach logs and the outbox.
            throw Bitrix24OAuthException.of("Bitrix24 OAuth server unreachable (" + e.getClass().getSimpleName() + ")", 0,
                    null, null);
        }
        if (response.code() >= 300) {
            // Not followed (see the constructor): the secret and the refresh token went to the OAuth server only.
            metrics.record(TARGET, "refresh", "rejected", start);
            String target = OutboundFailures.hostOf(response.header(HttpHeaders.LOCATION));
            LOG.warn("event=bitrix24_oauth_redirect_not_followed status={} location_host={}", response.code(), target);
            throw Bitrix24OAuthException.of("Bitrix24 OAuth server answered " + response.code() + ", a redirect to " + target
                    + ", not followed: is connector.bitrix24.oauth-url the OAuth server's address?", response.code(), null, null);
        }
        metrics.record(TARGET, "refresh", "ok", start);
        JsonNode body = parse(response.getBody().orElse(""));
        // The error may come with 200 too; the SDK checks the body, not the status (bitrix24.md §2).
        String error = body == null ? "unreadable" : body.path("error").asText(null);
        if (error != null) {
            throw Bitrix24OAuthException.of("Bitrix24 OAuth server refused the refresh: " + error, response.code(), error, null);
        }
        String access = body.path("access_token").asText("");
        String refresh = body.path("refresh_token").asText("");
        String memberId = body.path("member_id").asText("");
        String endpoint = body.path("client_endpoint").asText("");
        if (access.isEmpty() || refresh.isEmpty() || memberId.isEmpty() || endpoint.isEmpty()) {
            throw Bitrix24OAuthException.of("Bitrix24 token answer lacks access_token, refresh_token, member_id or "
                    + "client_endpoint", response.code(), null, null);
        }
        // Field sets changed over time (bitrix24.md §8.2): expires_in is the one to rely on, 1 h when absent.
        long expiresIn = body.path("expires_in").asLong(3600);
        return new Bitrix24Tokens(access, refresh, sentAt.plusSeconds(expiresIn), memberId, endpoint,
                body.path("user_id").asText(null));
    }

    private JsonNode parse(String body) {
        try {
            JsonNode node = body == null || body.isBlank() ? null : json.readTree(body);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }
}
