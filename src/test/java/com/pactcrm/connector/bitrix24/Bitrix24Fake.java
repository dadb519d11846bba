package com.pactcrm.connector.bitrix24;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.pactcrm.connector.testsupport.Arrivals;
import com.pactcrm.connector.testsupport.FaultInjection;
import com.pactcrm.connector.testsupport.ResponseLatency;
import com.pactcrm.connector.testsupport.TimelineWrite;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stateful Bitrix24 portal and OAuth server on one WireMock port, answering in Bitrix24's shapes
 * ({@code fixtures/bitrix24/}): {@code POST /rest/<method>} with {@code {"result":…,"time":{…}}} or
 * {@code {"error":…,"error_description":…}}, {@code batch} with per-command results and errors (empty maps as
 * {@code []}), and {@code GET /oauth/token/} with rotating refresh tokens. It keeps bound events and placements,
 * timeline comments, CRM items and who called what when, and can:
 * <ul>
 *   <li>expire the current access token (401 {@code expired_token}) or refuse refreshes ({@code invalid_grant},
 *       {@code PAYMENT_REQUIRED});</li>
 *   <li>answer the next calls with 503 {@code QUERY_LIMIT_EXCEEDED} or 429 {@code OPERATION_TIME_LIMIT};</li>
 *   <li>be renamed: {@code 127.0.0.1:<port>} then answers 302 to {@code localhost:<port>}.</li>
 * </ul>
 * Every {@code /rest/} request's arrival is recorded ({@link Arrivals}), and every timeline comment written
 * ({@link TimelineWrite}). Opt-in, for load and field measurements:
 * <ul>
 *   <li>{@link #enforceLeakyBucket()}: the portal's leaky bucket (bitrix24.md §7.2): each request, a {@code batch}
 *       included, adds one, the bucket drains {@value #BUCKET_DRAIN_PER_SECOND} a second, and a request that
 *       finds it above {@value #BUCKET_CAPACITY} is answered 503 {@code QUERY_LIMIT_EXCEEDED} (it still counts,
 *       as the portal counts every request);</li>
 *   <li>{@link #withLatency(ResponseLatency)} and {@link #withFaults(FaultInjection)}: slow answers, and a seeded
 *       share of failed calls (5xx, hung then reset, or written and then the answer lost).</li>
 * </ul>
 */
public final class Bitrix24Fake implements ResponseDefinitionTransformerV2 {

    public static final String MEMBER_ID = "4f8d0c7e2b1a93d5e6f7081928374655";
    public static final String APPLICATION_TOKEN = "8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d";
    public static final String CLIENT_ID = "local.6740a1b2c3d4e5.12345678";
    public static final String CLIENT_SECRET = "Qm9yZ2VzIGxhYnlyaW50aCBvZiBmb3JraW5nIHBhdGhz";
    public static final String INSTALLER_USER = "1";
    /** The access token the event fixtures carry: the acting user's, valid on this portal. */
    public static final String EVENT_ACCESS_TOKEN = "e4c1a86600700d1a0066e1a8000000010000077f1b2c3d4e5f60718293a4b5c6d7e8f9";
    /** Another application installed in the same portal ({@code app.info} answers its code for its tokens). */
    public static final String FOREIGN_CLIENT_ID = "app.5f1e2d3c4b5a69.87654321";

    /** One REST call as the portal saw it. */
    public record Call(Instant at, String host, String method, int commands, int status, List<String> cmds) {
    }

    /** A timeline comment; {@code updates} counts crm.timeline.comment.update calls on it. */
    public record Comment(long id, String entityType, String entityId, String authorId, String text, int updates) {
    }

    public enum Fault { QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT }

    public static final int BUCKET_CAPACITY = 50;
    public static final int BUCKET_DRAIN_PER_SECOND = 2;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final WireMockServer server;
    private final Object lock = new Object();
    private final AtomicLong ids = new AtomicLong(5000);
    private final List<Call> calls = new ArrayList<>();
    private final List<String> refreshCalls = new ArrayList<>();
    private final Set<String> validTokens = new HashSet<>();
    private final Set<String> expiredTokens = new HashSet<>();
    private final Map<String, String> userTokens = new LinkedHashMap<>();
    private final List<ObjectNode> events = new ArrayList<>();
    private final List<ObjectNode> placements = new ArrayList<>();
    private final Map<Long, Comment> comments = new LinkedHashMap<>();
    private final Map<String, ObjectNode> items = new LinkedHashMap<>();
    private final Map<String, Long> contactsByPhone = new LinkedHashMap<>();
    private final Map<String, Long> leadsByPhone = new LinkedHashMap<>();
    private final Map<Long, ObjectNode> activities = new LinkedHashMap<>();
    private final Set<String> offlineBindings = new java.util.LinkedHashSet<>();
    private final Map<String, ObjectNode> robots = new LinkedHashMap<>();
    private final Deque<ObjectNode> offline = new ArrayDeque<>();
    private final Map<Long, ObjectNode> users = new TreeMap<>();
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final List<String> senders = new ArrayList<>();
    private final Map<String, List<String>> senderStatuses = new LinkedHashMap<>();
    private String refreshToken;
    private String oauthError;
    private boolean renamed;
    private boolean forgetBindingsOnGet;
    private boolean withoutMessageserviceScope;
    private int bindCalls;
    private final Arrivals arrivals = new Arrivals();
    private final List<TimelineWrite> commentWrites = new ArrayList<>();
    private final List<Long> queryLimitRefusals = new ArrayList<>();
    private boolean leakyBucket;
    private double bucketLevel;
    private long bucketDrainedAt;
    private ResponseLatency latency;
    private FaultInjection randomFaults;
    private final Set<String> foreignApplicationTokens = new HashSet<>();
    private final Map<String, String> userRefreshTokens = new LinkedHashMap<>();
    private String tokenInFlight;
    private boolean refusePlacements;
    private String renamedTo;

    private Bitrix24Fake() {
        this.server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(32)
                .disableRequestJournal().extensions(this));
    }

    public static Bitrix24Fake running() {
        Bitrix24Fake fake = new Bitrix24Fake();
        fake.server.start();
        fake.server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200)));
        fake.reset();
        return fake;
    }

    public void shutdown() {
        server.stop();
    }

    /** A fresh portal: no bindings, no comments, the installer's first token pair valid. */
    public void reset() {
        synchronized (lock) {
            calls.clear();
            refreshCalls.clear();
            validTokens.clear();
            expiredTokens.clear();
            userTokens.clear();
            events.clear();
            placements.clear();
            comments.clear();
            items.clear();
            contactsByPhone.clear();
            leadsByPhone.clear();
            activities.clear();
            offlineBindings.clear();
            offline.clear();
            robots.clear();
            users.clear();
            faults.clear();
            senders.clear();
            senderStatuses.clear();
            oauthError = null;
            renamed = false;
            forgetBindingsOnGet = false;
            withoutMessageserviceScope = false;
            bindCalls = 0;
            arrivals.clear();
            commentWrites.clear();
            queryLimitRefusals.clear();
            bucketLevel = 0;
            refreshToken = "b24-refresh-" + ids.incrementAndGet();
            userTokens.put(EVENT_ACCESS_TOKEN, INSTALLER_USER);
            foreignApplicationTokens.clear();
            userRefreshTokens.clear();
            refusePlacements = false;
            renamedTo = null;
        }
    }

    /** The access token another application installed in this portal holds for a user: valid, but not ours. */
    public String foreignApplicationToken(String userId) {
        synchronized (lock) {
            String token = userToken(userId);
            foreignApplicationTokens.add(token);
            return token;
        }
    }

    /** placement.bind answers ERROR_PLACEMENT_MAX_COUNT (bitrix24.md §4.1). */
    public void refusePlacements() {
        synchronized (lock) {
            refusePlacements = true;
        }
    }

    /** A portal user's own refresh token of this application (the installer frame's REFRESH_ID when they open it). */
    public String userRefreshToken(String userId) {
        synchronized (lock) {
            String token = "b24-user-refresh-" + userId + "-" + ids.incrementAndGet();
            userRefreshTokens.put(token, userId);
            return token;
        }
    }

    private Reply userRefresh(String userId) {
        String access = userToken(userId);
        return new Reply(200, fixture("oauth-token.json").replace("{{ACCESS}}", access)
                .replace("{{EXPIRES}}", Long.toString(Instant.now().getEpochSecond() + 3600))
                .replace("{{HOST}}", renamed ? renamedHost() : host()).replace("{{MEMBER}}", MEMBER_ID)
                .replace("{{REFRESH}}", userRefreshToken(userId)), null);
    }

    /** The original domain, {@code 127.0.0.1:<port>}. */
    public String host() {
        return "127.0.0.1:" + server.port();
    }

    /** Where the portal lives after {@link #rename()}. */
    public String renamedHost() {
        synchronized (lock) {
            return renamedTo != null ? renamedTo : "localhost:" + server.port();
        }
    }

    /** As {@link #rename()}, but the old address redirects to {@code host} (a host that is not this fake). */
    public void renameTo(String host) {
        synchronized (lock) {
            renamedTo = host;
            renamed = true;
        }
    }

    public String oauthUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    /** The refresh token the installer frame and ONAPPINSTALL carry now. */
    public String currentRefreshToken() {
        synchronized (lock) {
            return refreshToken;
        }
    }

    /** The frame token of a portal user (the viewing user's AUTH_ID). */
    public String userToken(String userId) {
        synchronized (lock) {
            String token = "b24-user-" + userId + "-" + ids.incrementAndGet();
            userTokens.put(token, userId);
            return token;
        }
    }

    /** Every access token issued so far stops working with 401 expired_token. */
    public void expireAccessTokens() {
        synchronized (lock) {
            expiredTokens.addAll(validTokens);
            validTokens.clear();
        }
    }

    /** The OAuth server answers every refresh with this error ({@code invalid_grant}, {@code PAYMENT_REQUIRED}). */
    public void refuseRefresh(String error) {
        synchronized (lock) {
            oauthError = error;
        }
    }

    public void plan(Fault... planned) {
        synchronized (lock) {
            faults.addAll(List.of(planned));
        }
    }

    public void rename() {
        synchronized (lock) {
            renamed = true;
        }
    }

    /** event.get and placement.get answer [] although handlers are bound: binding again meets "already binded". */
    public void forgetBindingsOnGet() {
        synchronized (lock) {
            forgetBindingsOnGet = true;
        }
    }

    /** What an update may do to handlers (bitrix24.md §1.5): gone until bound again. */
    public void wipeBindings() {
        synchronized (lock) {
            events.clear();
            placements.clear();
        }
    }

    public void putDeal(String id, String contactId, String assignedById) {
        synchronized (lock) {
            items.put("2:" + id, (ObjectNode) read(fixture("crm-item-deal.json").replace("{{ID}}", id)
                    .replace("{{CONTACT}}", contactId).replace("{{ASSIGNED}}", assignedById)));
        }
    }

    public void putContact(String id, String phone) {
        putContact(id, phone, 1);
    }

    /** A contact with its phone and responsible user. */
    public void putContact(String id, String phone, long assignedById) {
        synchronized (lock) {
            ObjectNode contact = ((ObjectNode) read(fixture("crm-item-contact.json").replace("{{ID}}", id)))
                    .put("assignedById", assignedById);
            ((ObjectNode) contact.path("fm").get(0)).put("value", phone);
            items.put("3:" + id, contact);
            contactsByPhone.put(phone.replaceAll("\\D", ""), Long.parseLong(id));
        }
    }

    /**
     * A portal user as {@code user.get} lists it ({@code fixtures/bitrix24/user-get-item.json}); {@code type} is
     * {@code employee}, {@code extranet} or {@code email}.
     */
    public void putUser(long id, String name, String lastName, String email, boolean active, String type) {
        synchronized (lock) {
            users.put(id, (ObjectNode) read(fixture("user-get-item.json").replace("{{ID}}", Long.toString(id))
                    .replace("{{ACTIVE}}", Boolean.toString(active)).replace("{{NAME}}", name)
                    .replace("{{LAST_NAME}}", lastName).replace("{{EMAIL}}", email).replace("{{TYPE}}", type)));
        }
    }

    /** A comment a person wrote in the card; @return its id */
    public long personComment(String entityType, String entityId, String authorId, String text) {
        synchronized (lock) {
            long id = ids.incrementAndGet();
            comments.put(id, new Comment(id, entityType, entityId, authorId, text, 0));
            return id;
        }
    }

    /** The automation robots the application registered (bizproc.robot.add), by code. */
    public Map<String, ObjectNode> robots() {
        synchronized (lock) {
            return Map.copyOf(robots);
        }
    }

    /** The events bound as offline events. */
    public Set<String> offlineBindings() {
        synchronized (lock) {
            return Set.copyOf(offlineBindings);
        }
    }

    /**
     * A CRM change whose online event never reached the application: the portal keeps it in its offline queue when the
     * event is bound offline (bitrix24.md §3.4: {@code ID}, {@code TIMESTAMP_X}, {@code EVENT_NAME}, {@code EVENT_DATA}).
     */
    public void queueOffline(String eventName, String entityId) {
        synchronized (lock) {
            if (!offlineBindings.contains(eventName)) {
                return;
            }
            ObjectNode e = JSON.createObjectNode().put("ID", ids.incrementAndGet())
                    .put("TIMESTAMP_X", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(java.time.OffsetDateTime.now()))
                    .put("EVENT_NAME", eventName).put("MESSAGE_ID", "m" + ids.get());
            e.putObject("EVENT_DATA").putObject("FIELDS").put("ID", entityId);
            e.putObject("EVENT_ADDITIONAL").put("user_id", "1");
            offline.addLast(e);
        }
    }

    /** The to-do activities the application added, as the portal keeps them. */
    public List<ObjectNode> activities() {
        synchronized (lock) {
            return activities.values().stream().map(ObjectNode::deepCopy).toList();
        }
    }

    /** A deal that is closed (won or lost). */
    public void closeDeal(String id) {
        synchronized (lock) {
            items.get("2:" + id).put("closed", "Y").put("stageId", "WON");
        }
    }

    /** A lead holding the phone itself; {@code semantic}: P in progress, S converted, F junk (STATUS_SEMANTIC_ID). */
    public void putLead(String id, String phone, String semantic) {
        synchronized (lock) {
            ObjectNode lead = JSON.createObjectNode().put("ID", id).put("TITLE", "Lead " + id).put("STATUS_ID", "NEW")
                    .put("STATUS_SEMANTIC_ID", semantic);
            lead.putArray("PHONE").addObject().put("VALUE", phone).put("VALUE_TYPE", "WORK");
            items.put("1:" + id, lead);
            leadsByPhone.put(phone.replaceAll("\\D", ""), Long.parseLong(id));
        }
    }

    /** The portal's CRM is empty again (no contact knows any phone). */
    public void clearItems() {
        synchronized (lock) {
            items.clear();
            contactsByPhone.clear();
            leadsByPhone.clear();
        }
    }

    /** A person deletes a comment in the card. */
    public void deleteComment(long id) {
        synchronized (lock) {
            comments.remove(id);
        }
    }

    /** The application was registered without the messageservice scope. */
    public void withoutMessageserviceScope() {
        synchronized (lock) {
            withoutMessageserviceScope = true;
        }
    }

    /** Codes of the registered messageservice senders. */
    public List<String> senders() {
        synchronized (lock) {
            return List.copyOf(senders);
        }
    }

    /** Statuses reported for a sender message, in order. */
    public List<String> senderStatuses(String messageId) {
        synchronized (lock) {
            return List.copyOf(senderStatuses.getOrDefault(messageId, List.of()));
        }
    }

    public List<Call> calls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    public List<Call> calls(String method) {
        return calls().stream().filter(c -> c.method().equals(method)).toList();
    }

    public int refreshCount() {
        synchronized (lock) {
            return refreshCalls.size();
        }
    }

    public List<ObjectNode> boundEvents() {
        synchronized (lock) {
            return List.copyOf(events);
        }
    }

    public List<ObjectNode> boundPlacements() {
        synchronized (lock) {
            return List.copyOf(placements);
        }
    }

    public int bindCalls() {
        synchronized (lock) {
            return bindCalls;
        }
    }

    public List<Comment> comments(String entityType, String entityId) {
        synchronized (lock) {
            return comments.values().stream().filter(c -> c.entityType().equals(entityType) && c.entityId().equals(entityId))
                    .toList();
        }
    }

    public List<Comment> comments() {
        synchronized (lock) {
            return List.copyOf(comments.values());
        }
    }

    public List<ObjectNode> items(int entityTypeId) {
        synchronized (lock) {
            return items.entrySet().stream().filter(e -> e.getKey().startsWith(entityTypeId + ":"))
                    .map(Map.Entry::getValue).toList();
        }
    }

    /** An event body from {@code fixtures/bitrix24/event-<name>.txt} with {@code {{ID}}} filled in. */
    public static String event(String name, String id) {
        return fixture("event-" + name + ".txt").strip().replace("{{ID}}", id);
    }

    public static String fixture(String name) {
        try (InputStream in = Bitrix24Fake.class.getResourceAsStream("/fixtures/bitrix24/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Refuse what the portal's leaky bucket would refuse (capacity 50, drain 2/s). */
    public Bitrix24Fake enforceLeakyBucket() {
        synchronized (lock) {
            leakyBucket = true;
        }
        return this;
    }

    public Bitrix24Fake withLatency(ResponseLatency latency) {
        synchronized (lock) {
            this.latency = latency;
        }
        return this;
    }

    /** Fail a share of the {@code /rest/} calls that get past the bucket and the token check. */
    public Bitrix24Fake withFaults(FaultInjection faults) {
        synchronized (lock) {
            this.randomFaults = faults;
        }
        return this;
    }

    /** The instants {@code /rest/} requests reached the portal at or after {@code fromNanos}, ascending. */
    public long[] arrivals(long fromNanos) {
        return arrivals.since(fromNanos);
    }

    /** The most {@code /rest/} requests that reached the portal within any one second since {@code fromNanos}. */
    public int busiestSecond(long fromNanos) {
        return Arrivals.busiest(arrivals(fromNanos), Duration.ofSeconds(1));
    }

    /** How many requests the leaky bucket refused with 503 QUERY_LIMIT_EXCEEDED since {@code fromNanos}. */
    public int queryLimitRefusals(long fromNanos) {
        synchronized (lock) {
            return (int) queryLimitRefusals.stream().filter(t -> t >= fromNanos).count();
        }
    }

    /** Every timeline comment added or edited, in order. */
    public List<TimelineWrite> commentWrites() {
        synchronized (lock) {
            return List.copyOf(commentWrites);
        }
    }

    // ---------------------------------------------------------------- WireMock side

    @Override
    public String getName() {
        return "bitrix24-fake";
    }

    @Override
    public ResponseDefinition transform(ServeEvent serveEvent) {
        Request request = serveEvent.getRequest();
        Reply reply;
        synchronized (lock) {
            String path = request.getUrl().split("\\?")[0];
            if (path.startsWith("/oauth/token")) {
                reply = oauth(request);
            } else if (path.startsWith("/rest/")) {
                reply = rest(request, path.substring("/rest/".length()));
            } else {
                reply = new Reply(404, "{\"error\":\"NOT_FOUND\",\"error_description\":\"Not found\"}", null);
            }
        }
        if (reply.failure() != null) {
            return reply.failure().answer().build();
        }
        ResponseDefinitionBuilder response = ResponseDefinitionBuilder.responseDefinition().withStatus(reply.status())
                .withHeader("Content-Type", "application/json; charset=utf-8").withBody(reply.body());
        if (reply.location() != null) {
            response.withHeader("Location", reply.location());
        }
        if (reply.delayMillis() > 0) {
            response.withFixedDelay(reply.delayMillis());
        }
        return response.build();
    }

    /** An answer; {@code failure}: what {@link FaultInjection} made of it instead; {@code delayMillis}: the latency. */
    private record Reply(int status, String body, String location, FaultInjection.Decision failure, int delayMillis) {

        Reply(int status, String body, String location) {
            this(status, body, location, null, 0);
        }

        static Reply failed(FaultInjection.Decision decision) {
            return new Reply(decision.status(), "", null, decision, 0);
        }

        Reply delayed(int millis) {
            return new Reply(status, body, location, failure, millis);
        }
    }

    /** A list method's page: the answer also carries {@code total} and, unless it is the last page, {@code next}. */
    private record Listed(JsonNode result, int total, Integer next) {
    }

    private Reply oauth(Request request) {
        Map<String, String> q = query(request.getUrl());
        refreshCalls.add(q.get("refresh_token"));
        if (!CLIENT_ID.equals(q.get("client_id")) || !CLIENT_SECRET.equals(q.get("client_secret"))) {
            return new Reply(401, "{\"error\":\"invalid_client\",\"error_description\":\"Invalid client\"}", null);
        }
        if (userRefreshTokens.containsKey(q.get("refresh_token")) && oauthError == null) {
            return userRefresh(userRefreshTokens.remove(q.get("refresh_token")));
        }
        if (oauthError != null) {
            return new Reply(400, oauthError.equals("invalid_grant") ? fixture("oauth-invalid-grant.json")
                    : fixture("oauth-payment-required.json"), null);
        }
        if (!"refresh_token".equals(q.get("grant_type")) || !refreshToken.equals(q.get("refresh_token"))) {
            return new Reply(400, fixture("oauth-invalid-grant.json"), null);
        }
        long n = ids.incrementAndGet();
        String access = "b24-access-" + n;
        refreshToken = "b24-refresh-" + n;
        validTokens.add(access);
        return new Reply(200, fixture("oauth-token.json").replace("{{ACCESS}}", access)
                .replace("{{EXPIRES}}", Long.toString(Instant.now().getEpochSecond() + 3600))
                .replace("{{HOST}}", renamed ? renamedHost() : host()).replace("{{MEMBER}}", MEMBER_ID)
                .replace("{{REFRESH}}", refreshToken), null);
    }

    private Reply rest(Request request, String method) {
        long arrived = arrivals.arrive();
        String host = request.getHeader("Host");
        JsonNode body = read(request.getBodyAsString());
        if (renamed && host != null && host.startsWith("127.0.0.1")) {
            calls.add(new Call(Instant.now(), host, method, 0, 302, List.of()));
            return new Reply(302, "", "http://" + renamedHost() + "/rest/" + method);
        }
        String token = body.path("auth").asText("");
        tokenInFlight = token;
        List<String> cmds = new ArrayList<>();
        body.path("cmd").forEach(c -> cmds.add(c.asText()));
        if (leakyBucket && !bucketAdmits(arrived)) {
            queryLimitRefusals.add(arrived);
            return logged(host, method, cmds, new Reply(503, fixture("error-query-limit.json"), null));
        }
        if (expiredTokens.contains(token)) {
            return logged(host, method, cmds, new Reply(401, fixture("error-expired-token.json"), null));
        }
        if (!validTokens.contains(token) && !userTokens.containsKey(token)) {
            return logged(host, method, cmds, new Reply(401, fixture("error-no-auth-found.json"), null));
        }
        if (!faults.isEmpty()) {
            Fault fault = faults.poll();
            return logged(host, method, cmds, fault == Fault.QUERY_LIMIT_EXCEEDED
                    ? new Reply(503, fixture("error-query-limit.json"), null)
                    : new Reply(429, fixture("error-operation-time-limit.json")
                            .replace("{{RESET}}", Long.toString(Instant.now().getEpochSecond() + 2)), null));
        }
        FaultInjection.Decision failure = randomFaults == null ? null : randomFaults.next();
        if (failure != null && !failure.applied()) {
            return logged(host, method, cmds, Reply.failed(failure));
        }
        Reply answered = answer(host, method, body, userTokens.getOrDefault(token, INSTALLER_USER), arrived);
        return logged(host, method, cmds, failure == null ? answered : Reply.failed(failure));
    }

    /** Runs a method, or each command of a {@code batch}, as the portal does once a request is let in. */
    private Reply answer(String host, String method, JsonNode body, String user, long arrived) {
        if ("batch".equals(method)) {
            ObjectNode result = JSON.createObjectNode();
            ObjectNode errors = JSON.createObjectNode();
            body.path("cmd").fields().forEachRemaining(e -> {
                String cmd = e.getValue().asText();
                int q = cmd.indexOf('?');
                String sub = q < 0 ? cmd : cmd.substring(0, q);
                JsonNode params = resolved(q < 0 ? JSON.createObjectNode() : nested(cmd.substring(q + 1)), result);
                Object answer = method(sub, params, user);
                recordWrite(arrived, host, sub, params, answer);
                if (answer instanceof Reply r) {
                    errors.set(e.getKey(), read(r.body()));
                } else if (answer instanceof Listed listed) {
                    result.set(e.getKey(), listed.result());
                } else {
                    result.set(e.getKey(), (JsonNode) answer);
                }
            });
            ObjectNode batch = JSON.createObjectNode();
            batch.set("result", result.isEmpty() ? JSON.createArrayNode() : result);
            batch.set("result_error", errors.isEmpty() ? JSON.createArrayNode() : errors);
            batch.set("result_total", JSON.createArrayNode());
            batch.set("result_next", JSON.createArrayNode());
            batch.set("result_time", JSON.createArrayNode());
            return ok(batch);
        }
        Object answer = method(method, body, user);
        recordWrite(arrived, host, method, body, answer);
        if (answer instanceof Listed listed) {
            ObjectNode page = (ObjectNode) read(ok(listed.result()).body());
            page.put("total", listed.total());
            if (listed.next() != null) {
                page.put("next", listed.next());
            }
            return new Reply(200, page.toString(), null);
        }
        return answer instanceof Reply r ? r : ok((JsonNode) answer);
    }

    /**
     * A batch command's parameters with the portal's chaining applied: a value {@code $result[key][field]…} is the
     * earlier command's result at that path (bitrix24.md §7.1).
     */
    private static JsonNode resolved(JsonNode params, ObjectNode results) {
        if (params.isObject()) {
            ObjectNode out = JSON.createObjectNode();
            params.fields().forEachRemaining(f -> out.set(f.getKey(), resolved(f.getValue(), results)));
            return out;
        }
        if (params.isTextual() && params.asText().startsWith("$result[")) {
            JsonNode at = results;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[([^\\]]*)\\]").matcher(params.asText());
            while (m.find()) {
                at = at.isArray() ? at.path(Integer.parseInt(m.group(1))) : at.path(m.group(1));
            }
            return at.isMissingNode() ? JSON.getNodeFactory().textNode("") : JSON.getNodeFactory().textNode(at.asText());
        }
        return params;
    }

    /** Every answer goes out through here: recorded, and slowed by the latency when one is set. */
    private Reply logged(String host, String method, List<String> cmds, Reply reply) {
        calls.add(new Call(Instant.now(), host, method, cmds.size(), reply.status(), cmds));
        return latency == null || reply.failure() != null ? reply : reply.delayed(latency.nextMillis());
    }

    /**
     * The portal's leaky bucket at an arrival: drained since the last one, plus this request.
     * @return whether the request fits
     */
    private boolean bucketAdmits(long arrived) {
        bucketLevel = Math.max(0, bucketLevel - (arrived - bucketDrainedAt) / 1e9 * BUCKET_DRAIN_PER_SECOND);
        bucketDrainedAt = arrived;
        bucketLevel += 1;
        return bucketLevel <= BUCKET_CAPACITY;
    }

    /** A timeline comment a method added or edited, at the arrival of the request that carried it. */
    private void recordWrite(long arrived, String host, String method, JsonNode params, Object answer) {
        if (answer instanceof Reply) {
            return;
        }
        if ("crm.timeline.comment.add".equals(method)) {
            JsonNode fields = params.path("fields");
            commentWrites.add(new TimelineWrite(arrived, host, fields.path("ENTITY_ID").asText(), ((JsonNode) answer).asLong(),
                    fields.path("COMMENT").asText(), true));
        } else if ("crm.timeline.comment.update".equals(method)) {
            Comment c = comments.get(params.path("id").asLong());
            commentWrites.add(new TimelineWrite(arrived, host, c.entityId(), c.id(), c.text(), false));
        }
    }

    /** One method's result node, or an error {@link Reply}. */
    private Object method(String method, JsonNode p, String user) {
        if (withoutMessageserviceScope && method.startsWith("messageservice.")) {
            return new Reply(403, "{\"error\":\"insufficient_scope\",\"error_description\":\"The request requires higher privileges than provided by the access token\"}", null);
        }
        switch (method) {
            case "event.get": {
                if (forgetBindingsOnGet) {
                    return JSON.createArrayNode();
                }
                ArrayNode all = JSON.valueToTree(events);
                offlineBindings.forEach(e -> all.addObject().put("event", e).put("handler", "").put("auth_type", "0")
                        .put("offline", 1));
                return all;
            }
            case "event.offline.get": {
                // Offline events waiting in the portal's queue, oldest first; clear=1 (the default) takes them out.
                int limit = p.path("limit").asInt(50);
                ArrayNode taken = JSON.createArrayNode();
                ObjectNode r = JSON.createObjectNode().put("process_id", (String) null);
                while (!offline.isEmpty() && taken.size() < limit) {
                    taken.add(p.path("clear").asInt(1) == 0 ? offline.peekFirst() : offline.pollFirst());
                    if (p.path("clear").asInt(1) == 0) {
                        break;
                    }
                }
                r.set("events", taken);
                return r;
            }
            case "placement.get":
                return forgetBindingsOnGet ? JSON.createArrayNode() : JSON.valueToTree(placements);
            case "event.bind": {
                if ("offline".equals(p.path("event_type").asText())) {
                    // Counted apart from bindCalls, which counts the online events and placements.
                    String event = p.path("event").asText().toUpperCase();
                    return offlineBindings.add(event) ? JSON.getNodeFactory().booleanNode(true)
                            : new Reply(400, fixture("error-already-binded.json"), null);
                }
                bindCalls++;
                String event = p.path("event").asText().toUpperCase();
                String handler = p.path("handler").asText();
                if (events.stream().anyMatch(e -> e.path("event").asText().equals(event) && e.path("handler").asText().equals(handler))) {
                    return new Reply(400, fixture("error-already-binded.json"), null);
                }
                events.add(JSON.createObjectNode().put("event", event).put("handler", handler).put("auth_type", "0").put("offline", 0));
                return JSON.getNodeFactory().booleanNode(true);
            }
            case "placement.bind": {
                bindCalls++;
                if (refusePlacements) {
                    return new Reply(400, "{\"error\":\"ERROR_PLACEMENT_MAX_COUNT\",\"error_description\":\"Placement max count exceeded\"}", null);
                }
                String placement = p.path("PLACEMENT").asText();
                String handler = p.path("HANDLER").asText();
                if (placements.stream().anyMatch(e -> e.path("placement").asText().equals(placement)
                        && e.path("handler").asText().equals(handler))) {
                    return new Reply(400, fixture("error-already-binded.json"), null);
                }
                ObjectNode bound = JSON.createObjectNode().put("placement", placement).put("handler", handler)
                        .put("title", p.path("TITLE").asText()).put("description", p.path("DESCRIPTION").asText());
                if (p.has("LANG_ALL")) {
                    bound.set("langAll", p.path("LANG_ALL"));
                }
                placements.add(bound);
                return JSON.getNodeFactory().booleanNode(true);
            }
            case "messageservice.sender.list":
                return JSON.valueToTree(senders);
            case "messageservice.sender.add":
                if (senders.contains(p.path("CODE").asText())) {
                    return new Reply(400, "{\"error\":\"ERROR_SENDER_ALREADY_INSTALLED\",\"error_description\":\"Sender already installed!\"}", null);
                }
                senders.add(p.path("CODE").asText());
                return JSON.getNodeFactory().booleanNode(true);
            case "messageservice.message.status.update":
                if (!senders.contains(p.path("CODE").asText())) {
                    return new Reply(400, "{\"error\":\"ERROR_SENDER_VALIDATION_FAILURE\",\"error_description\":\"Sender not found\"}", null);
                }
                senderStatuses.computeIfAbsent(p.path("MESSAGE_ID").asText(), k -> new ArrayList<>()).add(p.path("STATUS").asText());
                return JSON.getNodeFactory().booleanNode(true);
            case "app.info":
                return JSON.createObjectNode().put("ID", 57)
                        .put("CODE", foreignApplicationTokens.contains(tokenInFlight) ? FOREIGN_CLIENT_ID : CLIENT_ID)
                        .put("VERSION", 2).put("STATUS", "L")
                        .put("INSTALLED", true).put("PAYMENT_EXPIRED", "N").put("DAYS", (String) null).put("LANGUAGE_ID", "br");
            case "user.current":
                return read(fixture("user-current.json").replace("{{USER}}", user));
            case "user.admin":
                return JSON.getNodeFactory().booleanNode(INSTALLER_USER.equals(user));
            case "user.get": {
                JsonNode filter = p.path("FILTER");
                if (filter.has("ID")) {
                    ArrayNode one = JSON.createArrayNode();
                    one.add(read(fixture("user-current.json").replace("{{USER}}", filter.path("ID").asText())));
                    return one;
                }
                // The filters the connector uses (">ID", ACTIVE, USER_TYPE), ascending ids, pages of 50 from "start".
                List<ObjectNode> matching = users.values().stream()
                        .filter(u -> u.path("ID").asLong() > filter.path(">ID").asLong(0))
                        .filter(u -> !filter.has("ACTIVE") || u.path("ACTIVE").asBoolean() == filter.path("ACTIVE").asBoolean())
                        .filter(u -> !filter.has("USER_TYPE") || u.path("USER_TYPE").asText().equals(filter.path("USER_TYPE").asText()))
                        .toList();
                int start = p.path("start").asInt(0);
                ArrayNode page = JSON.createArrayNode();
                matching.stream().skip(start).limit(50).forEach(page::add);
                return new Listed(page, matching.size(), start + 50 < matching.size() ? start + 50 : null);
            }
            case "crm.item.get": {
                ObjectNode item = items.get(p.path("entityTypeId").asText() + ":" + p.path("id").asText());
                if (item == null) {
                    return new Reply(400, fixture("error-not-found.json"), null);
                }
                ObjectNode r = JSON.createObjectNode();
                r.set("item", item);
                return r;
            }
            case "crm.item.add": {
                long id = ids.incrementAndGet();
                ObjectNode item = ((ObjectNode) p.path("fields").deepCopy()).put("id", id)
                        .put("entityTypeId", p.path("entityTypeId").asInt());
                items.put(p.path("entityTypeId").asText() + ":" + id, item);
                if (p.path("entityTypeId").asInt() == 3) {
                    item.path("fm").forEach(f -> contactsByPhone.put(f.path("value").asText().replaceAll("\\D", ""), id));
                }
                ObjectNode r = JSON.createObjectNode();
                r.set("item", item);
                return r;
            }
            case "crm.duplicate.findbycomm": {
                ObjectNode r = JSON.createObjectNode();
                ArrayNode found = JSON.createArrayNode();
                boolean leads = "LEAD".equals(p.path("entity_type").asText());
                p.path("values").forEach(v -> {
                    Long id = (leads ? leadsByPhone : contactsByPhone).get(v.asText().replaceAll("\\D", ""));
                    if (id != null) {
                        found.add(id);
                    }
                });
                if (found.isEmpty()) {
                    return JSON.createArrayNode();
                }
                r.set(leads ? "LEAD" : "CONTACT", found);
                return r;
            }
            case "crm.deal.list": {
                // The classic list's filter on the primary contact and CLOSED (Y/N), newest first, ids only.
                JsonNode filter = p.path("filter");
                ArrayNode page = JSON.createArrayNode();
                items.entrySet().stream().filter(e -> e.getKey().startsWith("2:")).map(Map.Entry::getValue)
                        .filter(d -> !filter.has("CONTACT_ID") || containsText(d.path("contactIds"), filter.path("CONTACT_ID").asText()))
                        .filter(d -> !filter.has("CLOSED") || d.path("closed").asText("N").equals(filter.path("CLOSED").asText()))
                        .sorted(Comparator.comparingLong((ObjectNode d) -> d.path("id").asLong()).reversed())
                        .forEach(d -> page.addObject().put("ID", d.path("id").asText()));
                return new Listed(page, page.size(), null);
            }
            case "crm.lead.list": {
                JsonNode filter = p.path("filter");
                ArrayNode page = JSON.createArrayNode();
                items.entrySet().stream().filter(e -> e.getKey().startsWith("1:")).map(Map.Entry::getValue)
                        .filter(l -> !filter.has("ID") || containsText(filter.path("ID"), l.path("ID").asText()))
                        .filter(l -> !filter.has("STATUS_SEMANTIC_ID")
                                || l.path("STATUS_SEMANTIC_ID").asText().equals(filter.path("STATUS_SEMANTIC_ID").asText()))
                        .sorted(Comparator.comparingLong((ObjectNode l) -> l.path("ID").asLong()).reversed())
                        .forEach(l -> page.addObject().put("ID", l.path("ID").asText()));
                return new Listed(page, page.size(), null);
            }
            case "bizproc.robot.list":
                return JSON.valueToTree(robots.keySet());
            case "bizproc.robot.add": {
                String code = p.path("CODE").asText();
                if (robots.containsKey(code)) {
                    return new Reply(400, "{\"error\":\"ERROR_ACTIVITY_ALREADY_INSTALLED\",\"error_description\":\"Activity or Robot already installed!\"}", null);
                }
                if (!p.hasNonNull("HANDLER") || !p.has("NAME")) {
                    return new Reply(400, "{\"error\":\"ERROR_ACTIVITY_VALIDATION_FAILURE\",\"error_description\":\"Wrong activity handler URL!\"}", null);
                }
                robots.put(code, (ObjectNode) p.deepCopy());
                return JSON.getNodeFactory().booleanNode(true);
            }
            case "crm.category.list": {
                // Deal categories (crm.category.list entityTypeId=2): the default 0 and one more funnel.
                ObjectNode r = JSON.createObjectNode();
                ArrayNode categories = r.putArray("categories");
                categories.addObject().put("id", 0).put("name", "Geral").put("isDefault", "Y");
                categories.addObject().put("id", 3).put("name", "Atacado").put("isDefault", "N");
                return r;
            }
            case "crm.status.list": {
                // Lead statuses (ENTITY_ID STATUS) and each category's deal stages (DEAL_STAGE, DEAL_STAGE_3) in SORT order,
                // with their SEMANTICS (S success, F failure, empty in progress).
                String entity = p.path("filter").path("ENTITY_ID").asText();
                String prefix = "DEAL_STAGE".equals(entity) ? "" : entity.startsWith("DEAL_STAGE_") ? "C" + entity.substring(11) + ":" : null;
                ArrayNode list = JSON.createArrayNode();
                if ("STATUS".equals(entity)) {
                    list.addObject().put("STATUS_ID", "NEW").put("NAME", "Não processado").put("SEMANTICS", "");
                    list.addObject().put("STATUS_ID", "IN_PROCESS").put("NAME", "Em andamento").put("SEMANTICS", "");
                    list.addObject().put("STATUS_ID", "CONVERTED").put("NAME", "Convertido").put("SEMANTICS", "S");
                    list.addObject().put("STATUS_ID", "JUNK").put("NAME", "Lixo").put("SEMANTICS", "F");
                } else if (prefix != null) {
                    list.addObject().put("STATUS_ID", prefix + "NEW").put("NAME", "Novo").put("SEMANTICS", "");
                    list.addObject().put("STATUS_ID", prefix + "PREPARATION").put("NAME", "Proposta").put("SEMANTICS", "");
                    list.addObject().put("STATUS_ID", prefix + "WON").put("NAME", "Ganho").put("SEMANTICS", "S");
                    list.addObject().put("STATUS_ID", prefix + "LOSE").put("NAME", "Perdido").put("SEMANTICS", "F");
                }
                return new Listed(list, list.size(), null);
            }
            case "crm.activity.todo.add": {
                if (!p.hasNonNull("ownerTypeId") || !p.hasNonNull("ownerId") || !p.hasNonNull("deadline")) {
                    return new Reply(400, "{\"error\":\"INVALID_ARG_VALUE\",\"error_description\":\"ownerTypeId, ownerId and deadline are required\"}", null);
                }
                long id = ids.incrementAndGet();
                ObjectNode todo = ((ObjectNode) p.deepCopy()).put("id", id).put("COMPLETED", "N");
                activities.put(id, todo);
                return JSON.createObjectNode().put("id", id);
            }
            case "crm.activity.update": {
                ObjectNode activity = activities.get(p.path("id").asLong());
                if (activity == null) {
                    return new Reply(400, fixture("error-not-found.json"), null);
                }
                p.path("fields").fields().forEachRemaining(f -> activity.set(f.getKey(), f.getValue()));
                return JSON.getNodeFactory().booleanNode(true);
            }
            case "crm.lead.add": {
                long id = ids.incrementAndGet();
                ObjectNode lead = ((ObjectNode) p.path("fields").deepCopy()).put("ID", Long.toString(id))
                        .put("STATUS_SEMANTIC_ID", "P");
                if (!lead.has("STATUS_ID")) {
                    lead.put("STATUS_ID", "NEW");
                }
                items.put("1:" + id, lead);
                lead.path("PHONE").forEach(f -> leadsByPhone.put(f.path("VALUE").asText().replaceAll("\\D", ""), id));
                return JSON.getNodeFactory().numberNode(id);
            }
            case "crm.timeline.comment.add": {
                JsonNode f = p.path("fields");
                if (f.isMissingNode()) {
                    return new Reply(400, "{\"error\":\"INVALID_ARG_VALUE\",\"error_description\":\"fields is required\"}", null);
                }
                long id = ids.incrementAndGet();
                comments.put(id, new Comment(id, f.path("ENTITY_TYPE").asText(), f.path("ENTITY_ID").asText(), user,
                        f.path("COMMENT").asText(), 0));
                return JSON.getNodeFactory().numberNode(id);
            }
            case "crm.timeline.comment.update": {
                Comment c = comments.get(p.path("id").asLong());
                if (c == null) {
                    return new Reply(400, fixture("error-not-found.json"), null);
                }
                comments.put(c.id(), new Comment(c.id(), c.entityType(), c.entityId(), c.authorId(),
                        p.path("fields").path("COMMENT").asText(), c.updates() + 1));
                return JSON.getNodeFactory().numberNode(c.id());
            }
            case "crm.timeline.comment.get": {
                Comment c = comments.get(p.path("id").asLong());
                if (c == null) {
                    return new Reply(400, fixture("error-not-found.json"), null);
                }
                return read(fixture("timeline-comment.json").replace("{{ID}}", Long.toString(c.id()))
                        .replace("{{ENTITY_ID}}", c.entityId()).replace("{{ENTITY_TYPE}}", c.entityType())
                        .replace("{{AUTHOR}}", c.authorId()).replace("{{COMMENT}}", c.text().replace("\"", "\\\"")));
            }
            case "crm.timeline.comment.list":
                return commentList(p);
            default:
                return new Reply(404, "{\"error\":\"ERROR_METHOD_NOT_FOUND\",\"error_description\":\"Method not found!\"}", null);
        }
    }

    /** The comment fields in the order the portal answers them; FILES only on a comment with files (none here). */
    private static final List<String> COMMENT_FIELDS = List.of("ID", "ENTITY_ID", "ENTITY_TYPE", "CREATED", "COMMENT", "AUTHOR_ID");
    private static final Instant COMMENTS_START = Instant.parse("2026-11-24T00:15:00Z");

    /**
     * {@code crm.timeline.comment.list} as the portal's REST proxy answers it (CCrmTimelineCommentRestProxy::innerGetList,
     * bitrix24.md §5.2): the filter names the card by ENTITY_ID and ENTITY_TYPE, and without either the read-permission
     * check fails, 400 with an empty error code and "Access denied."; {@code order} by ID, CREATED or AUTHOR_ID (anything
     * but DESC is ascending); a fixed page of 50 from {@code start}, with {@code total} and, before the last page,
     * {@code next}; {@code select} keeps only the fields it names. ENTITY_ID comes back as a number (the proxy casts it),
     * the other fields as strings. Comments here have no creation time: CREATED follows their id.
     */
    private Object commentList(JsonNode p) {
        JsonNode filter = p.path("filter");
        long entityId = filter.path("ENTITY_ID").asLong(0);
        String entityType = filter.path("ENTITY_TYPE").asText("").toLowerCase();
        if (entityId <= 0 || !(List.of("lead", "deal", "contact", "company", "order", "quote").contains(entityType)
                || entityType.matches("dynamic_\\d+"))) {
            return new Reply(400, "{\"error\":\"\",\"error_description\":\"Access denied.\"}", null);
        }
        Comparator<Comment> order = null;
        for (Map.Entry<String, JsonNode> o : (Iterable<Map.Entry<String, JsonNode>>) p.path("order")::fields) {
            Comparator<Comment> by = switch (o.getKey()) {
                case "ID", "CREATED" -> Comparator.comparingLong(Comment::id);
                case "AUTHOR_ID" -> Comparator.comparingLong(c -> Long.parseLong(c.authorId()));
                default -> null;
            };
            if (by != null) {
                by = "DESC".equals(o.getValue().asText()) ? by.reversed() : by;
                order = order == null ? by : order.thenComparing(by);
            }
        }
        Comparator<Comment> sorted = order == null ? Comparator.comparingLong(Comment::id) : order;
        List<Comment> matching = comments.values().stream()
                .filter(c -> c.entityType().equals(entityType) && c.entityId().equals(Long.toString(entityId)))
                .sorted(sorted).toList();
        List<String> select = new ArrayList<>();
        p.path("select").forEach(f -> select.add(f.asText()));
        List<String> fields = select.isEmpty() || select.contains("*") ? COMMENT_FIELDS
                : COMMENT_FIELDS.stream().filter(select::contains).toList();
        int offset = p.path("start").asInt(0) / 50 * 50;
        ArrayNode page = JSON.createArrayNode();
        matching.stream().skip(offset).limit(50).forEach(c -> {
            ObjectNode item = page.addObject();
            for (String field : fields) {
                switch (field) {
                    case "ID" -> item.put("ID", Long.toString(c.id()));
                    case "ENTITY_ID" -> item.put("ENTITY_ID", entityId);
                    case "ENTITY_TYPE" -> item.put("ENTITY_TYPE", entityType);
                    case "CREATED" -> item.put("CREATED", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(
                            COMMENTS_START.plusSeconds(c.id()).atOffset(ZoneOffset.ofHours(3))));
                    case "COMMENT" -> item.put("COMMENT", c.text());
                    default -> item.put("AUTHOR_ID", c.authorId());
                }
            }
        });
        return new Listed(page, matching.size(), offset + 50 < matching.size() ? offset + 50 : null);
    }

    private static Reply ok(JsonNode result) {
        double now = Instant.now().toEpochMilli() / 1000.0;
        ObjectNode answer = JSON.createObjectNode();
        answer.set("result", result);
        answer.putObject("time").put("start", now).put("finish", now + 0.01).put("duration", 0.01).put("processing", 0.005)
                .put("date_start", Instant.now().toString()).put("date_finish", Instant.now().toString())
                .put("operating_reset_at", (long) now + 600).put("operating", 0);
        return new Reply(200, answer.toString(), null);
    }

    /** PHP-style query ({@code fields[COMMENT]=x&values[0]=y}) into nested JSON, as the portal reads a batch command. */
    private static JsonNode nested(String query) {
        ObjectNode root = JSON.createObjectNode();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            List<String> path = new ArrayList<>();
            int open = key.indexOf('[');
            path.add(open < 0 ? key : key.substring(0, open));
            while (open >= 0) {
                int close = key.indexOf(']', open);
                path.add(key.substring(open + 1, close));
                open = key.indexOf('[', close);
            }
            ObjectNode node = root;
            for (int i = 0; i < path.size() - 1; i++) {
                node = node.has(path.get(i)) ? (ObjectNode) node.get(path.get(i)) : node.putObject(path.get(i));
            }
            node.put(path.get(path.size() - 1), value);
        }
        return arrays(root);
    }

    /** {@code {"0": a, "1": b}} objects become arrays, as PHP lists do. */
    private static JsonNode arrays(JsonNode node) {
        if (!node.isObject()) {
            return node;
        }
        ObjectNode obj = (ObjectNode) node;
        List<String> keys = new ArrayList<>();
        obj.fieldNames().forEachRemaining(keys::add);
        keys.forEach(k -> obj.set(k, arrays(obj.get(k))));
        if (!keys.isEmpty() && keys.stream().allMatch(k -> k.matches("\\d+"))) {
            ArrayNode array = JSON.createArrayNode();
            keys.forEach(k -> array.add(obj.get(k)));
            return array;
        }
        return obj;
    }

    private static Map<String, String> query(String url) {
        Map<String, String> q = new LinkedHashMap<>();
        int i = url.indexOf('?');
        if (i >= 0) {
            for (String pair : url.substring(i + 1).split("&")) {
                int eq = pair.indexOf('=');
                q.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return q;
    }

    private static JsonNode read(String text) {
        try {
            return text == null || text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean containsText(JsonNode list, String value) {
        for (JsonNode item : list) {
            if (value.equals(item.asText())) {
                return true;
            }
        }
        return false;
    }
}
