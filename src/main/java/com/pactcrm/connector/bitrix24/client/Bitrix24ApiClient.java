package com.pactcrm.connector.bitrix24.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.bitrix24.Bitrix24Configuration;
import com.pactcrm.connector.security.SecretMasker;
import com.pactcrm.connector.sync.resilience.OutboundApi;
import com.pactcrm.connector.sync.resilience.OutboundCall;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.sync.resilience.OutboundCallPipeline;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.ServiceHttpClientConfiguration;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocking client of a Bitrix24 portal's classic REST endpoint, {@code POST <scheme>://<domain>/rest/<method>}
 * with a JSON body carrying {@code auth} (bitrix24.md §2 "Calling"; CRM is not in REST 3.0). Every call goes through
 * the {@link OutboundCallPipeline}: room in the portal's leaky bucket first ({@link Bitrix24PortalBuckets}: keyed by
 * member_id, shared by all replicas), then the host's circuit breaker. Answers:
 * <ul>
 *   <li>{@code {"result": ..., "time": {...}}}: the {@code result} is returned;</li>
 *   <li>302 from a renamed portal: redirects are not followed by the HTTP client (a POST would become a GET
 *       and lose its body); the same POST goes to the {@code Location} once and {@link Bitrix24PortalMoved} is
 *       published (bitrix24.md §2, https://apidocs.bitrix24.com/settings/how-to-call-rest-api/change-domen.html),
 *       but only to a portal name under Bitrix24's own zones ({@link Bitrix24Configuration#mayMoveTo}): the POST
 *       carries the access token, and a redirect elsewhere is a health state for an admin, not a new home;</li>
 *   <li>503 {@code QUERY_LIMIT_EXCEEDED}: the whole portal pauses, doubling while it repeats;</li>
 *   <li>429 {@code OPERATION_TIME_LIMIT}: that method pauses until {@code time.operating_reset_at} (§7.2).</li>
 * </ul>
 */
@Singleton
public class Bitrix24ApiClient implements AutoCloseable {

    static final String TARGET = "bitrix24";
    /** {@code batch} takes at most 50 commands (bitrix24.md §7.1). */
    public static final int MAX_BATCH = 50;
    private static final Duration MAX_QUERY_LIMIT_BACKOFF = Duration.ofMinutes(1);
    private static final Duration DEFAULT_OPERATION_RESET = Duration.ofMinutes(1);
    private static final Set<String> WRITE_VERBS = Set.of("add", "update", "delete", "bind", "unbind", "set", "batch");
    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24ApiClient.class);

    private final ObjectMapper json;
    private final Bitrix24Configuration config;
    private final OutboundCallPipeline pipeline;
    private final OutboundApi<Bitrix24ApiException> api = OutboundApi.of(TARGET, LOG,
            (message, disposition, status, retryAfter, cause) ->
                    new Bitrix24ApiException(message, disposition, status, null, retryAfter, null, null, cause),
            this::refused).following(this::portalMoved);
    private final ApplicationEventPublisher<Bitrix24PortalMoved> moved;
    private final Clock clock;
    private final HttpClient http;
    private final Bitrix24PortalBuckets buckets;
    private final Map<String, Duration> queryLimitBackoff = new ConcurrentHashMap<>();
    private final Map<String, Instant> methodPausedUntil = new ConcurrentHashMap<>();

    public Bitrix24ApiClient(ObjectMapper json, Bitrix24Configuration config, OutboundCallPipeline pipeline,
                             ApplicationEventPublisher<Bitrix24PortalMoved> moved, Clock clock,
                             Bitrix24PortalBuckets buckets, @Named("bitrix24") ServiceHttpClientConfiguration http) {
        this.json = json;
        this.config = config;
        this.pipeline = pipeline;
        this.moved = moved;
        this.clock = clock;
        this.buckets = buckets;
        // micronaut.http.services.bitrix24, without a base URL: every portal has its own domain.
        this.http = HttpClient.create(null, http);
    }

    /** Calls {@code method} and returns its {@code result}. */
    public JsonNode call(Bitrix24Portal portal, String method, ObjectNode params) {
        return exchange(portal, method, params).path("result");
    }

    /**
     * {@code batch} with {@code halt=0}: every command runs, each with its own result or error. Counts as one
     * request against the bucket (bitrix24.md §7.1).
     *
     * @param commands key → {@code "method?query"} (see {@link Bitrix24Query}), at most {@value #MAX_BATCH}
     */
    public Bitrix24BatchResult batch(Bitrix24Portal portal, Map<String, String> commands) {
        if (commands.isEmpty() || commands.size() > MAX_BATCH) {
            throw new IllegalArgumentException("a batch carries 1 to " + MAX_BATCH + " commands, not " + commands.size());
        }
        ObjectNode params = json.createObjectNode().put("halt", 0);
        ObjectNode cmd = params.putObject("cmd");
        commands.forEach(cmd::put);
        JsonNode result = exchange(portal, "batch", params).path("result");
        Map<String, JsonNode> results = new LinkedHashMap<>();
        Map<String, Bitrix24BatchResult.Error> errors = new LinkedHashMap<>();
        // An empty map comes back as [] (PHP's empty array), so only objects are read.
        result.path("result").fields().forEachRemaining(e -> results.put(e.getKey(), e.getValue()));
        result.path("result_error").fields().forEachRemaining(e -> errors.put(e.getKey(), new Bitrix24BatchResult.Error(
                e.getValue().path("error").asText(null), e.getValue().path("error_description").asText(null))));
        for (String key : commands.keySet()) {
            if (!results.containsKey(key) && !errors.containsKey(key)) {
                errors.put(key, new Bitrix24BatchResult.Error("NO_RESULT", "the batch answer has no entry for " + key));
            }
        }
        return new Bitrix24BatchResult(results, errors);
    }

    @PreDestroy
    @Override
    public void close() {
        http.close();
    }

    private JsonNode exchange(Bitrix24Portal portal, String method, ObjectNode params) {
        Instant paused = methodPausedUntil.get(portal.memberId() + "|" + method);
        if (paused != null && paused.isAfter(clock.instant())) {
            throw new Bitrix24ApiException("Bitrix24 " + method + " is over its operating budget until " + paused,
                    Disposition.RATE_LIMITED, 429, "OPERATION_TIME_LIMIT", Duration.between(clock.instant(), paused),
                    null, null, null);
        }
        String body;
        try {
            body = json.writeValueAsString(params.deepCopy().put("auth", portal.accessToken()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot encode a Bitrix24 request body", e);
        }
        OutboundCall call = new OutboundCall(method, portal.memberId(), portal.host(), http,
                request(config.restBase(portal.host()) + method, body), "Bitrix24 " + method, portal.accessToken(),
                isWrite(method), () -> {
                    Bitrix24PortalBuckets.Room room = takeRoom(portal);
                    return () -> buckets.landed(room);
                });
        return pipeline.call(api, call, response -> result(call, response));
    }

    private static MutableHttpRequest<String> request(String url, String body) {
        return HttpRequest.POST(URI.create(url), body)
                .contentType(MediaType.APPLICATION_JSON_TYPE)
                .accept(MediaType.APPLICATION_JSON_TYPE)
                .header("User-Agent", "pact-crm-connector/1.0");
    }

    private Bitrix24PortalBuckets.Room takeRoom(Bitrix24Portal portal) {
        Instant deadline = clock.instant().plus(config.maxLimiterWait());
        while (true) {
            Bitrix24PortalBuckets.Room room = buckets.tryTake(portal.memberId());
            if (room.taken()) {
                return room;
            }
            Duration wait = room.waitTime();
            if (clock.instant().plus(wait).isAfter(deadline)) {
                throw new Bitrix24ApiException("Bitrix24 portal " + portal.memberId() + " request budget: room in "
                        + wait.toMillis() + " ms", Disposition.RATE_LIMITED, 0, null, wait, null, null, null);
            }
            try {
                Thread.sleep(Math.max(1, wait.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Bitrix24ApiException("interrupted waiting for the Bitrix24 bucket", Disposition.RATE_LIMITED, 0,
                        null, wait, null, null, e);
            }
        }
    }

    /** How long until the portal's bucket has room for a request (zero: now), without taking it. */
    public Duration nextCallIn(String memberId) {
        return buckets.nextRoomIn(Bitrix24Portal.keyOf(memberId));
    }

    /** The whole answer, whose {@code result} the caller reads; an answer without one failed. */
    private JsonNode result(OutboundCall call, HttpResponse<String> response) {
        JsonNode answer = pipeline.json(api, call, response).filter(JsonNode::isObject).orElse(null);
        if (answer == null || !answer.has("result")) {
            throw new Bitrix24ApiException(call.description() + " answered " + response.code() + " without a result",
                    call.maybeApplied(), response.code(), answer == null ? null : answer.path("error").asText(null),
                    null, null, null, null);
        }
        queryLimitBackoff.remove(call.account());
        return answer;
    }

    /**
     * A renamed portal answers 302 to its new name: the same POST goes there once, but only under Bitrix24's own zones
     * (see the class comment).
     */
    private Optional<MutableHttpRequest<?>> portalMoved(OutboundCall call, HttpResponse<String> response) {
        String location = response.getHeaders().get(HttpHeaders.LOCATION);
        if (location == null) {
            return Optional.empty();
        }
        URI target = movedTo(call.request().getUri(), location);
        if (target == null || !config.mayMoveTo(target)) {
            LOG.warn("event=bitrix24_portal_move_refused memberId={} oldHost={} location=\"{}\"", call.account(),
                    call.host(), SecretMasker.mask(abbreviate(location)));
            throw new Bitrix24ApiException(call.description() + " answered " + response.code()
                    + " to a host outside Bitrix24's domains; not followed", Disposition.HEALTH, response.code(),
                    null, null, Bitrix24ApiException.COMPONENT_PORTAL, "MOVED_OUTSIDE_BITRIX24", null);
        }
        String newHost = target.getPort() == -1 ? target.getHost() : target.getHost() + ":" + target.getPort();
        LOG.warn("event=bitrix24_portal_moved memberId={} oldHost={} newHost={}", call.account(), call.host(), newHost);
        moved.publishEvent(new Bitrix24PortalMoved(call.account(), call.host(), newHost));
        return Optional.of(request(config.restBase(newHost) + call.operation(),
                call.request().getBody(String.class).orElseThrow()));
    }

    private static URI movedTo(URI from, String location) {
        try {
            return from.resolve(location.strip());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Bitrix24's error codes first (bitrix24.md §7.2, §7.3), then the status. */
    private Bitrix24ApiException refused(OutboundCall call, OutboundApi.Refusal refusal) {
        int status = refusal.status();
        String method = call.operation();
        String memberId = call.account();
        Throwable cause = refusal.cause();
        JsonNode node = parse(refusal.body());
        String error = node == null ? null : node.path("error").asText(null);
        String description = node == null ? null : node.path("error_description").asText(null);
        String message = call.redact(call.description() + " answered " + status
                + (error == null ? "" : " " + error) + (description == null ? "" : ": " + abbreviate(description)));
        if ("QUERY_LIMIT_EXCEEDED".equals(error)) {
            Duration backoff = queryLimitBackoff.merge(memberId, config.queryLimitBackoff(),
                    (old, first) -> old.multipliedBy(2).compareTo(MAX_QUERY_LIMIT_BACKOFF) > 0 ? MAX_QUERY_LIMIT_BACKOFF
                            : old.multipliedBy(2));
            // Every caller for this portal holds off: the bucket is per portal (and per source IP), §7.2.
            buckets.pause(memberId, backoff);
            return new Bitrix24ApiException(message, Disposition.RATE_LIMITED, status, error, backoff, null, null, cause);
        }
        if ("OPERATION_TIME_LIMIT".equals(error)) {
            Duration wait = operatingReset(node);
            methodPausedUntil.put(memberId + "|" + method, clock.instant().plus(wait));
            return new Bitrix24ApiException(message, Disposition.RATE_LIMITED, status, error, wait, null, null, cause);
        }
        if ("PAYMENT_REQUIRED".equalsIgnoreCase(String.valueOf(error))) {
            return new Bitrix24ApiException(message, Disposition.HEALTH, status, error, null,
                    Bitrix24ApiException.COMPONENT_BILLING, "PAYMENT_REQUIRED", cause);
        }
        if (status == 401) {
            // Any 401 but expired_token means the token is no longer accepted at all (bitrix24.md §7.3).
            return new Bitrix24ApiException(message, Disposition.HEALTH, status, error, null,
                    Bitrix24ApiException.COMPONENT_TOKEN, Bitrix24ApiException.EXPIRED_TOKEN.equals(error)
                    ? "TOKEN_EXPIRED" : "REAUTH_REQUIRED", cause);
        }
        if ("OVERLOAD_LIMIT".equals(error)) {
            // Support blocked the application for persistent overload (§7.2): only people can lift it.
            return new Bitrix24ApiException(message, Disposition.HEALTH, status, error, null,
                    Bitrix24ApiException.COMPONENT_PORTAL, "OVERLOAD_LIMIT", cause);
        }
        if (status >= 500 && status != 503) {
            // Any 5xx but 503 on a write is looked up before it is sent again, not only a proxy's 502/504 as for
            // amoCRM and Pact: a batch runs its commands one by one (bitrix24.md §7.1), so it can fail after some of
            // them were applied.
            return new Bitrix24ApiException(message, call.maybeApplied(), status, error,
                    refusal.retryAfter().orElse(null), null, null, cause);
        }
        return new Bitrix24ApiException(message, call.dispositionOf(status), status, error,
                status >= 500 ? refusal.retryAfter().orElse(null) : null, null, null, cause);
    }

    /** {@code time.operating_reset_at} is a unix time in seconds in current answers; an ISO date is accepted too. */
    private Duration operatingReset(JsonNode node) {
        JsonNode reset = node == null ? null : node.path("time").path("operating_reset_at");
        Instant at = null;
        if (reset != null && reset.isNumber()) {
            at = Instant.ofEpochMilli((long) (reset.asDouble() * 1000));
        } else if (reset != null && reset.isTextual()) {
            try {
                at = OffsetDateTime.parse(reset.asText()).toInstant();
            } catch (DateTimeParseException e) {
                at = null;
            }
        }
        Duration wait = at == null ? DEFAULT_OPERATION_RESET : Duration.between(clock.instant(), at);
        return wait.isNegative() ? Duration.ofSeconds(1) : wait;
    }

    private JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode node = json.readTree(body);
            return node != null && node.isObject() ? node : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    static boolean isWrite(String method) {
        String verb = method.substring(method.lastIndexOf('.') + 1);
        return WRITE_VERBS.contains(verb);
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
