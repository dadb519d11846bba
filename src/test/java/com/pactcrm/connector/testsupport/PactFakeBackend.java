package com.pactcrm.connector.testsupport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.QueryParameter;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.pactcrm.connector.sync.resilience.RateLimit;
import com.pactcrm.connector.testsupport.PactFake.Fault;
import com.pactcrm.connector.testsupport.PactFake.FakeCall;
import com.pactcrm.connector.testsupport.PactFake.FakeConversation;
import com.pactcrm.connector.testsupport.PactFake.FakeHandshake;
import com.pactcrm.connector.testsupport.PactFake.FakeMessage;
import com.pactcrm.connector.testsupport.PactFake.FakeWebhook;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The state and HTTP behaviour behind {@link PactFake}; one lock guards everything. */
final class PactFakeBackend implements ResponseDefinitionTransformerV2 {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HANDSHAKE_CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final DateTimeFormatter PACT_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    /** Write-first providers ([D2] ru {@code write-first-message.md}). */
    private static final Set<String> WRITE_FIRST_PROVIDERS =
            Set.of("max", "whatsapp", "telegram_personal", "whatsapp_business", "vkontakte_direct");
    /** Providers whose recipients are phones, so the conversation carries {@code sender_phone}. */
    private static final Set<String> PHONE_PROVIDERS = Set.of("whatsapp", "whatsapp_business", "max");
    /** Ids start above 2^31, as Pact's do, so an {@code int} anywhere in the connector shows up. */
    private static final long FIRST_CONVERSATION_ID = 3_000_000_000L;
    private static final long FIRST_MESSAGE_ID = 4_000_000_000L;
    private static final long FIRST_ATTACHMENT_ID = 5_000_000_000L;
    private static final long FIRST_WEBHOOK_ID = 6_000_000_000L;
    private static final long FIRST_TEMPLATE_ID = 7_000_000_000L;
    private static final int MAX_WEBHOOKS_PER_COMPANY = 5;
    /** Longer than any limit's window: older accepted calls can no longer block anything. */
    private static final Duration FORGET_AFTER = Duration.ofHours(1);

    private record Route(String method, Pattern path, String endpoint, String operation) {
    }

    private static final List<Route> ROUTES = List.of(
            new Route("POST", Pattern.compile("/api/p2/messages"), "write-first", "send"),
            new Route("POST", Pattern.compile("/api/p2/conversations/(\\d+)/messages"), "send-message", "send"),
            new Route("GET", Pattern.compile("/api/p2/conversations"), "search-conversations", "conversation-read"),
            new Route("GET", Pattern.compile("/api/p2/conversations/(\\d+)"), "get-conversation", "conversation-read"),
            new Route("PUT", Pattern.compile("/api/p2/conversations/(\\d+)"), "update-conversation", "default"),
            new Route("GET", Pattern.compile("/api/p2/conversations/(\\d+)/messages"), "list-messages", "message-read"),
            new Route("GET", Pattern.compile("/api/p2/waba_templates"), "waba-templates", "template-read"),
            new Route("POST", Pattern.compile("/api/p2/attachments/?"), "upload-attachment", "upload"),
            new Route("GET", Pattern.compile("/api/p2/companies/(\\d+)/webhooks"), "list-webhooks", "default"),
            new Route("GET", Pattern.compile("/api/p2/companies/(\\d+)/auths"), "list-auths", "default"),
            new Route("POST", Pattern.compile("/api/p2/companies/(\\d+)/webhooks"), "register-webhook", "default"),
            new Route("PUT", Pattern.compile("/api/p2/companies/(\\d+)/webhooks/(\\d+)"), "update-webhook", "default"),
            new Route("PUT", Pattern.compile("/p1/companies/(\\d+)/conversations/(\\d+)/note"), "note", "default"));

    /** An answer; {@code delay} is served outside the lock. */
    private record Reply(int status, String body, Duration delay) {

        static Reply ok(JsonNode body) {
            return new Reply(200, body.toString(), Duration.ZERO);
        }

        static Reply error(int status, String code, String title, String detail) {
            ObjectNode error = JSON.createObjectNode().put("status", status).put("code", code).put("title", title);
            if (detail != null) {
                error.put("detail", detail);
            }
            ObjectNode body = JSON.createObjectNode();
            body.putArray("errors").add(error);
            return new Reply(status, body.toString(), Duration.ZERO);
        }

        Reply delayed(Duration by) {
            return new Reply(status, body, by);
        }
    }

    private static final class Conversation {
        final long id;
        final long companyId;
        final String provider;
        final String phone;
        final String nickname;
        final Instant createdAt;
        Instant lastUpdatedAt;
        Long lastMessageId;
        String operationalState = "open";
        String repliedState = "initialized";
        Long assigneeId;
        String note;

        Conversation(long id, long companyId, String provider, String phone, String nickname, Instant createdAt) {
            this.id = id;
            this.companyId = companyId;
            this.provider = provider;
            this.phone = phone;
            this.nickname = nickname;
            this.createdAt = createdAt;
        }

        String publicId() {
            return phone != null ? "+" + phone : "@" + nickname;
        }

        FakeConversation snapshot() {
            return new FakeConversation(id, companyId, provider, phone, nickname, operationalState, repliedState,
                    assigneeId, note, lastMessageId);
        }
    }

    private record Template(long id, long companyId, long wabaId, String name, String body, int substitutionsCount,
                            Instant createdAt) {
    }

    private final Clock clock;
    private final Object lock = new Object();
    private final Map<String, List<RateLimit>> limits = new HashMap<>();
    private final Map<String, ArrayDeque<Instant>> accepted = new HashMap<>();
    private final ArrayDeque<Fault> faults = new ArrayDeque<>();
    private final Map<String, Integer> deniedTokens = new HashMap<>();
    private final List<FakeCall> calls = new ArrayList<>();
    private final Map<Long, Conversation> conversations = new LinkedHashMap<>();
    private final List<FakeMessage> messages = new ArrayList<>();
    private final Map<Long, FakeWebhook> webhooks = new LinkedHashMap<>();
    private final List<FakeHandshake> handshakes = new ArrayList<>();
    private boolean webhookHandshakes;
    private final List<Template> templates = new ArrayList<>();
    /** Messages the client wrote (the fake's messages are outgoing unless listed here). */
    /** Uploaded attachments as Pact describes them, and their bytes, served at {@code /cdn/{id}/{name}}. */
    private final Map<Long, ObjectNode> uploaded = new HashMap<>();
    private final Map<Long, byte[]> files = new HashMap<>();
    /**
     * Connected accounts per company. A company no test gave any has no answer at {@code /auths} (404), so tests
     * written before the connector read auths keep judging channels by the {@code auth} webhooks alone.
     */
    private final Map<Long, List<ObjectNode>> auths = new HashMap<>();
    private long nextAuthId = 8_000_000_000L;
    private Duration faultDelay;
    /** Where the fake's CDN is: its own address ({@link PactFake#baseUrl()}), set once the server has a port. */
    volatile String cdnBase = "https://cdn.pact.im";
    private long nextConversationId;
    private long nextMessageId;
    private long nextAttachmentId;
    private long nextWebhookId;
    private long nextTemplateId;

    PactFakeBackend(Clock clock) {
        this.clock = clock;
        reset();
    }

    @Override
    public String getName() {
        return "pact-fake";
    }

    @Override
    public ResponseDefinition transform(ServeEvent serveEvent) {
        Request request = serveEvent.getRequest();
        if (pathOf(request).startsWith("/cdn/")) {
            return cdn(request);
        }
        Integer handshakeStatus = webhookHandshakeFor(request);
        Reply reply = handle(request, handshakeStatus);
        ResponseDefinitionBuilder response = ResponseDefinitionBuilder.responseDefinition()
                .withStatus(reply.status())
                .withHeader("Content-Type", "application/json; charset=utf-8")
                .withBody(reply.body());
        if (!reply.delay().isZero()) {
            response.withFixedDelay((int) reply.delay().toMillis());
        }
        return response.build();
    }

    void reset() {
        synchronized (lock) {
            limits.clear();
            PactFake.PACT_LIMITS.forEach((operation, spec) -> limits.put(operation, RateLimit.parseAll(spec)));
            accepted.clear();
            faults.clear();
            deniedTokens.clear();
            calls.clear();
            conversations.clear();
            messages.clear();
            webhooks.clear();
            handshakes.clear();
            webhookHandshakes = false;
            templates.clear();
            auths.clear();
            uploaded.clear();
            files.clear();
            faultDelay = PactFake.DEFAULT_FAULT_DELAY;
            nextConversationId = FIRST_CONVERSATION_ID;
            nextMessageId = FIRST_MESSAGE_ID;
            nextAttachmentId = FIRST_ATTACHMENT_ID;
            nextWebhookId = FIRST_WEBHOOK_ID;
            nextTemplateId = FIRST_TEMPLATE_ID;
        }
    }

    void setLimit(String operation, String spec) {
        synchronized (lock) {
            if (spec == null) {
                limits.remove(operation);
            } else {
                limits.put(operation, RateLimit.parseAll(spec));
            }
        }
    }

    void setFaultDelay(Duration delay) {
        synchronized (lock) {
            faultDelay = delay;
        }
    }

    void planFaults(List<Fault> planned) {
        synchronized (lock) {
            faults.addAll(planned);
        }
    }

    int pendingFaults() {
        synchronized (lock) {
            return faults.size();
        }
    }

    void denyToken(String token, int status) {
        synchronized (lock) {
            deniedTokens.put(token, status);
        }
    }

    void addWabaTemplate(long companyId, long wabaId, String name, String body, int substitutionsCount) {
        synchronized (lock) {
            templates.add(new Template(nextTemplateId++, companyId, wabaId, name, body, substitutionsCount, clock.instant()));
        }
    }

    List<FakeCall> calls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    List<FakeMessage> messages() {
        synchronized (lock) {
            return List.copyOf(messages);
        }
    }

    List<FakeConversation> conversations() {
        synchronized (lock) {
            return conversations.values().stream().map(Conversation::snapshot).toList();
        }
    }

    void enableWebhookHandshakes() {
        synchronized (lock) {
            webhookHandshakes = true;
        }
    }

    List<FakeHandshake> handshakes() {
        synchronized (lock) {
            return List.copyOf(handshakes);
        }
    }

    List<FakeWebhook> webhooks() {
        synchronized (lock) {
            return List.copyOf(webhooks.values());
        }
    }

    private record RouteMatch(Route route, Matcher path) {

        static RouteMatch of(Request request) {
            String path = pathOf(request);
            String method = request.getMethod().getName();
            for (Route route : ROUTES) {
                Matcher m = route.path().matcher(path);
                if (route.method().equals(method) && m.matches()) {
                    return new RouteMatch(route, m);
                }
            }
            return null;
        }
    }

    private Reply handle(Request request, Integer handshakeStatus) {
        String path = pathOf(request);
        String method = request.getMethod().getName();
        RouteMatch match = RouteMatch.of(request);
        synchronized (lock) {
            Instant now = clock.instant();
            String token = tokenOf(request);
            if (match == null) {
                calls.add(new FakeCall(now, token, "unknown", "unknown", method, path, 404, Fault.NONE));
                return Reply.error(404, "not_found", "Not found", "No route " + method + " " + path);
            }
            Route route = match.route();
            Fault fault = "send".equals(route.operation()) && !faults.isEmpty() ? faults.poll() : Fault.NONE;
            Reply reply = answer(route, match.path(), request, token, fault, handshakeStatus, now);
            calls.add(new FakeCall(now, token, route.operation(), route.endpoint(), method, path, reply.status(), fault));
            return reply;
        }
    }

    /**
     * Pact POSTs {@code {"source":"pact.im","operation":"test"}} when a webhook URL is set, changed or
     * activated, and the endpoint must answer 200 ([D2] en/v2/company-webhooks). Sent outside the lock,
     * since the receiver may well call the fake back.
     *
     * @return the receiver's status (0 when unreachable), or null when no handshake is due
     */
    private Integer webhookHandshakeFor(Request request) {
        RouteMatch match = RouteMatch.of(request);
        if (match == null || !match.route().endpoint().endsWith("-webhook") || request.isMultipart()) {
            return null;
        }
        JsonNode body = readBody(request);
        String url;
        synchronized (lock) {
            if (!webhookHandshakes) {
                return null;
            }
            if ("register-webhook".equals(match.route().endpoint())) {
                url = body.path("url").asText(null);
            } else if (body.has("url") || body.path("active").asBoolean(false)) {
                FakeWebhook current = webhooks.get(Long.parseLong(match.path().group(2)));
                url = body.path("url").asText(current == null ? null : current.url());
            } else {
                url = null;
            }
        }
        if (url == null) {
            return null;
        }
        int status = postHandshake(url);
        synchronized (lock) {
            handshakes.add(new FakeHandshake(clock.instant(), url, status));
        }
        return status;
    }

    private static int postHandshake(String url) {
        try {
            HttpRequest test = HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"source\":\"pact.im\",\"operation\":\"test\"}"))
                    .build();
            return HANDSHAKE_CLIENT.send(test, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | IllegalArgumentException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private Reply answer(Route route, Matcher path, Request request, String token, Fault fault,
                         Integer handshakeStatus, Instant now) {
        if (token == null) {
            return Reply.error(401, "unauthorized", "Unauthorized", "No token provided");
        }
        Integer denied = deniedTokens.get(token);
        if (denied != null) {
            return Reply.error(denied, denied == 402 ? "payment_required" : "unauthorized",
                    denied == 402 ? "Payment Required" : "Unauthorized", "Denied by the test");
        }
        switch (fault) {
            case RATE_LIMITED_2S:
                return Reply.error(429, "too_many_requests", "Too many requests error", "Please wait 2 seconds");
            case SERVER_ERROR:
                return Reply.error(500, "internal_server_error", "Internal server error", null);
            case TIMEOUT_BEFORE_APPLY:
                return Reply.error(504, "gateway_timeout", "Gateway timeout", null).delayed(faultDelay);
            default:
                break;
        }
        Duration wait = fault == Fault.TIMEOUT_AFTER_APPLY ? Duration.ZERO : limitWait(token, route.operation(), now);
        if (!wait.isZero()) {
            long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
            return Reply.error(429, "too_many_requests", "Too many requests error",
                    "Please wait for " + seconds + " seconds");
        }
        ArrayDeque<Instant> recent = accepted.computeIfAbsent(token + '|' + route.operation(), k -> new ArrayDeque<>());
        recent.addLast(now);
        while (recent.peekFirst().isBefore(now.minus(FORGET_AFTER))) {
            recent.removeFirst();
        }
        JsonNode body = request.isMultipart() ? JSON.createObjectNode() : readBody(request);
        if (handshakeStatus != null && handshakeStatus != 200) {
            // What Pact answers when the test POST fails is undocumented; the fake refuses the change.
            return Reply.error(422, "unprocessable_entity", "Unprocessable entity",
                    "webhook test request answered " + handshakeStatus + " instead of 200");
        }
        Reply reply = switch (route.endpoint()) {
            case "write-first" -> writeFirst(body, now);
            case "send-message" -> sendMessage(Long.parseLong(path.group(1)), body, now);
            case "search-conversations" -> searchConversations(request);
            case "get-conversation" -> getConversation(Long.parseLong(path.group(1)), request);
            case "update-conversation" -> updateConversation(Long.parseLong(path.group(1)), body);
            case "list-messages" -> listMessages(Long.parseLong(path.group(1)), request);
            case "waba-templates" -> wabaTemplates(request);
            case "upload-attachment" -> uploadAttachment(request, body);
            case "list-webhooks" -> listWebhooks(Long.parseLong(path.group(1)));
            case "list-auths" -> listAuths(Long.parseLong(path.group(1)), request);
            case "register-webhook" -> registerWebhook(Long.parseLong(path.group(1)), body);
            case "update-webhook" -> updateWebhook(Long.parseLong(path.group(1)), Long.parseLong(path.group(2)), body);
            case "note" -> note(Long.parseLong(path.group(1)), Long.parseLong(path.group(2)), body);
            default -> throw new IllegalStateException(route.endpoint());
        };
        return fault == Fault.TIMEOUT_AFTER_APPLY ? reply.delayed(faultDelay) : reply;
    }

    /** Time until this token may call the operation again; zero when a call is allowed now. */
    private Duration limitWait(String token, String operation, Instant now) {
        List<RateLimit> operationLimits = limits.get(operation);
        ArrayDeque<Instant> recent = accepted.get(token + '|' + operation);
        if (operationLimits == null || recent == null) {
            return Duration.ZERO;
        }
        Duration wait = Duration.ZERO;
        for (RateLimit limit : operationLimits) {
            // Both ends of the window count: a call exactly one period ago still holds its slot.
            List<Instant> inWindow = recent.stream().filter(at -> !at.isBefore(now.minus(limit.period()))).toList();
            if (inWindow.size() >= limit.permits()) {
                Instant oldestBlocking = inWindow.get(inWindow.size() - limit.permits());
                Duration w = Duration.between(now, oldestBlocking.plus(limit.period())).plusMillis(1);
                wait = w.compareTo(wait) > 0 ? w : wait;
            }
        }
        return wait;
    }

    private Reply writeFirst(JsonNode body, Instant now) {
        Long companyId = longField(body, "company_id");
        if (companyId == null) {
            return missing("company_id");
        }
        String provider = body.path("provider").asText(null);
        if (provider == null || !WRITE_FIRST_PROVIDERS.contains(provider)) {
            return Reply.error(422, "unprocessable_entity", "Unprocessable entity", "provider is not allowed");
        }
        String phone = body.path("phone").asText(null);
        String nickname = body.path("nickname").asText(null);
        if ((phone == null) == (nickname == null)) {
            return Reply.error(422, "unprocessable_entity", "Unprocessable entity", "give exactly one of phone, nickname");
        }
        if ("whatsapp_business".equals(provider) && body.path("waba_id").isMissingNode()) {
            return Reply.error(422, "unprocessable_entity", "Unprocessable entity", "waba_id is required");
        }
        Reply attachmentProblem = checkAttachments(body);
        if (attachmentProblem != null) {
            return attachmentProblem;
        }
        Conversation conversation = conversations.values().stream()
                .filter(c -> c.companyId == companyId && c.provider.equals(provider)
                        && (phone != null ? normalize(phone).equals(c.phone) : normalize(nickname).equals(c.nickname)))
                .findFirst()
                .orElseGet(() -> newConversation(companyId, provider, phone, nickname, now));
        String text = body.has("text") ? body.get("text").asText() : null;
        return Reply.ok(wrap("message", message(conversation, body, text, true, now)));
    }

    private Reply sendMessage(long conversationId, JsonNode body, Instant now) {
        Long companyId = longField(body, "company_id");
        if (companyId == null) {
            return missing("company_id");
        }
        Conversation conversation = conversations.get(conversationId);
        if (conversation == null || conversation.companyId != companyId) {
            return notFound("conversation");
        }
        Reply attachmentProblem = checkAttachments(body);
        if (attachmentProblem != null) {
            return attachmentProblem;
        }
        String text = body.has("text") ? body.get("text").asText() : null;
        return Reply.ok(wrap("message", message(conversation, body, text, false, now)));
    }

    private Reply searchConversations(Request request) {
        Long companyId = companyFromQuery(request);
        if (companyId == null) {
            return missing("company_id");
        }
        String search = query(request, "search_string");
        String needle = search == null ? "" : stripHandle(search).toLowerCase(Locale.ROOT);
        // Ordered by last_updated_at ([D2] get-conversations), newest first.
        List<JsonNode> found = conversations.values().stream()
                .filter(c -> c.companyId == companyId)
                .filter(c -> needle.isEmpty() || matchesSearch(c, needle))
                .sorted(Comparator.comparing((Conversation c) -> c.lastUpdatedAt == null ? c.createdAt : c.lastUpdatedAt)
                        .reversed())
                .map(this::conversationJson)
                .map(JsonNode.class::cast)
                .toList();
        return Reply.ok(page("conversations", found, request, 25));
    }

    private Reply getConversation(long id, Request request) {
        Long companyId = companyFromQuery(request);
        if (companyId == null) {
            return missing("company_id");
        }
        Conversation conversation = conversations.get(id);
        if (conversation == null || conversation.companyId != companyId) {
            return notFound("conversation");
        }
        return Reply.ok(wrap("conversation", conversationJson(conversation)));
    }

    private Reply updateConversation(long id, JsonNode body) {
        Long companyId = longField(body, "company_id");
        if (companyId == null) {
            return missing("company_id");
        }
        Conversation conversation = conversations.get(id);
        if (conversation == null || conversation.companyId != companyId) {
            return notFound("conversation");
        }
        String operational = body.path("operational_state").asText(null);
        String replied = body.path("replied_state").asText(null);
        if (operational != null && !Set.of("open", "archived").contains(operational)
                || replied != null && !Set.of("replied", "unreplied").contains(replied)) {
            return Reply.error(422, "unprocessable_entity", "Unprocessable entity", "unknown state");
        }
        if (operational != null) {
            conversation.operationalState = operational;
        }
        if (replied != null) {
            conversation.repliedState = replied;
        }
        if (body.has("assignee_id")) {
            conversation.assigneeId = body.get("assignee_id").isNull() ? null : body.get("assignee_id").asLong();
        }
        return Reply.ok(wrap("conversation", conversationJson(conversation)));
    }

    private Reply listMessages(long conversationId, Request request) {
        Long companyId = companyFromQuery(request);
        if (companyId == null) {
            return missing("company_id");
        }
        Conversation conversation = conversations.get(conversationId);
        if (conversation == null || conversation.companyId != companyId) {
            return notFound("conversation");
        }
        List<JsonNode> items = messages.stream().filter(m -> m.conversationId() == conversationId)
                .map(this::messageJson).map(JsonNode.class::cast).toList();
        return Reply.ok(page("messages", items, request, 150));
    }

    private Reply wabaTemplates(Request request) {
        QueryParameter companies = request.queryParameter("company_ids[]");
        List<JsonNode> items = templates.stream()
                .filter(t -> !companies.isPresent() || companies.values().contains(String.valueOf(t.companyId())))
                .map(t -> (JsonNode) JSON.createObjectNode().put("id", t.id()).put("name", t.name())
                        .put("body", t.body()).put("waba_id", t.wabaId())
                        .put("substitutions_count", t.substitutionsCount()).put("header_content_type", "text")
                        .putNull("header").put("namespace", "fake").put("company_id", t.companyId())
                        .put("created_at", PACT_TIME.format(t.createdAt())).put("position", 1))
                .toList();
        return Reply.ok(page("waba_templates", items, request, 25));
    }

    private Reply uploadAttachment(Request request, JsonNode body) {
        String companyId;
        String fileName;
        String mimeType;
        long size;
        if (request.isMultipart()) {
            Request.Part company = request.getPart("company_id");
            Request.Part file = request.getPart("file");
            if (file == null) {
                return missing("file");
            }
            companyId = company == null ? null : company.getBody().asString();
            fileName = file.getFileName();
            mimeType = file.getHeader("Content-Type").isPresent() ? file.getHeader("Content-Type").firstValue()
                    : "application/octet-stream";
            size = file.getBody().asBytes().length;
            files.put(nextAttachmentId, file.getBody().asBytes());
        } else {
            companyId = body.path("company_id").asText(null);
            String url = body.path("file_url").asText(null);
            if (url == null) {
                return missing("file_url");
            }
            fileName = url.substring(url.lastIndexOf('/') + 1);
            mimeType = "application/octet-stream";
            size = 0;
        }
        if (companyId == null) {
            return missing("company_id");
        }
        long id = nextAttachmentId++;
        ObjectNode attachment = JSON.createObjectNode().put("id", id).putNull("message_id").put("file_name", fileName)
                .put("mime_type", mimeType).put("size", size)
                .put("attachment_url", cdnBase + "/cdn/" + id + "/" + fileName).putNull("preview_url")
                .putNull("aspect_ratio").putNull("data").put("push_to_talk", false);
        uploaded.put(id, attachment);
        return Reply.ok(wrap("attachment", attachment));
    }

    private Reply listAuths(long companyId, Request request) {
        List<ObjectNode> list = auths.get(companyId);
        if (list == null) {
            return notFound("auths");
        }
        return Reply.ok(page("auths", list.stream().map(JsonNode.class::cast).toList(), request, 25));
    }

    /** A connected account ({@code state} enabled, disabled, initial), as {@code GET /companies/{cid}/auths} lists it. */
    long addAuth(long companyId, String provider, String state, String phone) {
        synchronized (lock) {
            long id = nextAuthId++;
            auths.computeIfAbsent(companyId, k -> new ArrayList<>()).add(JSON.createObjectNode().put("id", id)
                    .put("company_id", companyId).put("provider", provider).put("state", state).put("phone_number", phone)
                    .putNull("username").put("created_at", PACT_TIME.format(clock.instant()))
                    .put("updated_at", PACT_TIME.format(clock.instant())));
            return id;
        }
    }

    void setAuthState(long authId, String state) {
        synchronized (lock) {
            auths.values().forEach(list -> list.stream().filter(a -> a.get("id").asLong() == authId)
                    .forEach(a -> a.put("state", state)));
        }
    }

    private Reply listWebhooks(long companyId) {
        List<JsonNode> items = webhooks.values().stream().filter(w -> w.companyId() == companyId)
                .map(this::webhookJson).map(JsonNode.class::cast).toList();
        ObjectNode body = JSON.createObjectNode();
        body.putArray("webhooks").addAll(items);
        body.set("meta", meta(1, items.size(), 25));
        return Reply.ok(body);
    }

    private Reply registerWebhook(long companyId, JsonNode body) {
        String url = body.path("url").asText(null);
        if (url == null) {
            return missing("url");
        }
        if (webhooks.values().stream().filter(w -> w.companyId() == companyId).count() >= MAX_WEBHOOKS_PER_COMPANY) {
            return Reply.error(422, "unprocessable_entity", "Unprocessable entity", "at most 5 webhooks per company");
        }
        // New webhooks start inactive ([D2] en/v2/company-webhooks).
        FakeWebhook webhook = new FakeWebhook(nextWebhookId++, companyId, url, false);
        webhooks.put(webhook.id(), webhook);
        return Reply.ok(wrap("webhook", webhookJson(webhook)));
    }

    private Reply updateWebhook(long companyId, long id, JsonNode body) {
        FakeWebhook webhook = webhooks.get(id);
        if (webhook == null || webhook.companyId() != companyId) {
            return notFound("webhook");
        }
        FakeWebhook updated = new FakeWebhook(id, companyId, body.path("url").asText(webhook.url()),
                body.path("active").asBoolean(webhook.active()));
        webhooks.put(id, updated);
        return Reply.ok(wrap("webhook", webhookJson(updated)));
    }

    private Reply note(long companyId, long conversationId, JsonNode body) {
        Conversation conversation = conversations.get(conversationId);
        if (conversation == null || conversation.companyId != companyId) {
            return notFound("conversation");
        }
        if (!body.has("note")) {
            return missing("note");
        }
        conversation.note = body.get("note").asText();
        // v1 answers with its status envelope ([PY] schema/enums.py ResponseStatus).
        return Reply.ok(JSON.createObjectNode().put("status", "updated"));
    }

    FakeMessage receive(long companyId, String provider, String phone, String text) {
        synchronized (lock) {
            Instant now = clock.instant();
            Conversation conversation = conversations.values().stream()
                    .filter(c -> c.companyId == companyId && normalize(phone).equals(c.phone)).findFirst()
                    .orElseGet(() -> newConversation(companyId, provider, phone, null, now));
            FakeMessage message = new FakeMessage(nextMessageId++, companyId, conversation.id, provider, conversation.phone,
                    null, text, null, null, null, List.of(), false, false, now, true, "created");
            messages.add(message);
            conversation.lastMessageId = message.id();
            conversation.lastUpdatedAt = now;
            conversation.repliedState = "unreplied";
            return message;
        }
    }

    void setStatus(long messageId, String status) {
        synchronized (lock) {
            for (int i = 0; i < messages.size(); i++) {
                FakeMessage m = messages.get(i);
                if (m.id() == messageId) {
                    messages.set(i, m.withStatus(status));
                    conversations.get(m.conversationId()).lastUpdatedAt = clock.instant();
                }
            }
        }
    }

    private Conversation newConversation(long companyId, String provider, String phone, String nickname, Instant now) {
        Conversation conversation = new Conversation(nextConversationId++, companyId, provider,
                phone == null ? null : normalize(phone), nickname == null ? null : normalize(nickname), now);
        conversations.put(conversation.id, conversation);
        return conversation;
    }

    private ObjectNode message(Conversation conversation, JsonNode body, String text, boolean writeFirst, Instant now) {
        JsonNode attachmentIds = body.path("attachment_ids");
        Long attachmentId = attachmentIds.isArray() && !attachmentIds.isEmpty() ? attachmentIds.get(0).asLong() : null;
        String repliedToId = body.path("replied_to_id").asText(null);
        Long wabaId = longField(body, "waba_id");
        List<String> substitutions = new ArrayList<>();
        body.path("substitutions").forEach(s -> substitutions.add(s.asText()));
        // send_to_crm defaults to true at Pact ([D2] send-message / write-first pages).
        boolean sendToCrm = body.path("send_to_crm").asBoolean(true);
        FakeMessage message = new FakeMessage(nextMessageId++, conversation.companyId, conversation.id,
                conversation.provider, conversation.phone, conversation.nickname, text, attachmentId, repliedToId,
                wabaId, List.copyOf(substitutions), sendToCrm, writeFirst, now, false, "sent");
        messages.add(message);
        conversation.lastMessageId = message.id();
        conversation.lastUpdatedAt = now;
        return messageJson(message);
    }

    private ObjectNode messageJson(FakeMessage m) {
        ObjectNode node = JSON.createObjectNode().put("id", m.id()).putNull("external_id")
                .put("company_id", m.companyId()).put("conversation_id", m.conversationId()).putNull("contact_id");
        node.put("replied_to_id", m.repliedToId());
        node.put("created_at", PACT_TIME.format(m.createdAt())).put("external_created_at", PACT_TIME.format(m.createdAt()))
                .put("income", m.income()).put("status", m.status()).put("message", m.text());
        node.putArray("reactions");
        node.putNull("details");
        ArrayNode attachments = node.putArray("attachments");
        if (m.attachmentId() != null) {
            ObjectNode known = uploaded.get(m.attachmentId());
            attachments.add(known != null ? known.deepCopy().put("message_id", m.id())
                    : JSON.createObjectNode().put("id", m.attachmentId()).put("message_id", m.id()));
        }
        return node.put("delivery", false).put("deleted", false);
    }

    /**
     * A conversation the company already has (the client wrote first, or it predates the connector): Pact holds
     * it with no message yet.
     */
    long seedConversation(long companyId, String provider, String phone) {
        synchronized (lock) {
            return newConversation(companyId, provider, phone, null, clock.instant()).id;
        }
    }

    /**
     * A message the client wrote at {@code at} (an image or file when {@code fileName} is set): listed by
     * {@code GET /conversations/{id}/messages} as Pact lists incoming messages.
     */
    long addClientMessage(long conversationId, String text, Instant at, String fileName, String mimeType, byte[] content) {
        synchronized (lock) {
            Conversation conversation = conversations.get(conversationId);
            Long attachmentId = null;
            if (fileName != null) {
                attachmentId = nextAttachmentId++;
                files.put(attachmentId, content);
                uploaded.put(attachmentId, JSON.createObjectNode().put("id", attachmentId).put("file_name", fileName)
                        .put("mime_type", mimeType).put("size", content.length)
                        .put("attachment_url", cdnBase + "/cdn/" + attachmentId + "/" + fileName).putNull("preview_url"));
            }
            FakeMessage message = new FakeMessage(nextMessageId++, conversation.companyId, conversationId,
                    conversation.provider, conversation.phone, conversation.nickname, text, attachmentId, null, null,
                    List.of(), false, false, at, true, "created");
            messages.add(message);
            conversation.lastMessageId = message.id();
            conversation.lastUpdatedAt = at;
            return message.id();
        }
    }

    /** The message as Pact's list and webhooks show it. */
    ObjectNode messageObject(long messageId) {
        synchronized (lock) {
            return messageJson(messages.stream().filter(m -> m.id() == messageId).findFirst().orElseThrow());
        }
    }

    ObjectNode conversationObject(long conversationId) {
        synchronized (lock) {
            return conversationJson(conversations.get(conversationId));
        }
    }

    private ResponseDefinition cdn(Request request) {
        String[] parts = pathOf(request).split("/");
        byte[] content;
        String mimeType;
        synchronized (lock) {
            long id = parts.length > 2 && parts[2].matches("\\d+") ? Long.parseLong(parts[2]) : -1;
            content = files.get(id);
            ObjectNode meta = uploaded.get(id);
            mimeType = meta == null ? "application/octet-stream" : meta.path("mime_type").asText("application/octet-stream");
            calls.add(new FakeCall(clock.instant(), null, "cdn", "cdn", "GET", pathOf(request), content == null ? 404 : 200,
                    Fault.NONE));
        }
        if (content == null) {
            return ResponseDefinitionBuilder.responseDefinition().withStatus(404).build();
        }
        return ResponseDefinitionBuilder.responseDefinition().withStatus(200).withHeader("Content-Type", mimeType)
                .withBody(content).build();
    }

    private ObjectNode conversationJson(Conversation c) {
        ObjectNode node = JSON.createObjectNode().put("id", c.id).put("company_id", c.companyId)
                .put("sender_name", c.phone != null ? "+" + c.phone : c.nickname);
        node.put("sender_phone", PHONE_PROVIDERS.contains(c.provider) ? c.phone : null);
        node.put("sender_external_id", c.phone != null ? c.phone : String.valueOf(c.id % 1_000_000_000L));
        node.put("sender_external_public_id", c.publicId()).put("provider", c.provider).putNull("avatar_url")
                .put("created_at", PACT_TIME.format(c.createdAt))
                .put("last_updated_at", c.lastUpdatedAt == null ? null : PACT_TIME.format(c.lastUpdatedAt));
        node.put("last_message_id", c.lastMessageId);
        return node.put("operational_state", c.operationalState).put("replied_state", c.repliedState)
                .put("group", false);
    }

    private ObjectNode webhookJson(FakeWebhook w) {
        return JSON.createObjectNode().put("id", w.id()).put("url", w.url()).put("active", w.active());
    }

    /** {@code search_string} matches phone, name or public id, with a leading + or @ stripped ([D2] get-conversations). */
    private static boolean matchesSearch(Conversation c, String needle) {
        return (c.phone != null && c.phone.contains(needle))
                || (c.nickname != null && c.nickname.toLowerCase(Locale.ROOT).contains(needle))
                || stripHandle(c.publicId()).toLowerCase(Locale.ROOT).contains(needle);
    }

    private static String stripHandle(String value) {
        return value.strip().replaceFirst("^[+@]", "");
    }

    /** Conversations are keyed by the recipient as Pact would see it: digits of a phone, a nickname without @. */
    private static String normalize(String recipient) {
        String stripped = stripHandle(recipient);
        return stripped.matches("[+\\d\\s()\\-]+") ? stripped.replaceAll("\\D", "") : stripped;
    }

    private static Reply checkAttachments(JsonNode body) {
        JsonNode ids = body.path("attachment_ids");
        if (ids.isArray() && ids.size() > 1) {
            // Pact takes one attachment per message ([D2] send-message: "only one id").
            return Reply.error(422, "unprocessable_entity", "Unprocessable entity", "only one attachment per message");
        }
        return null;
    }

    private ObjectNode page(String wrapper, List<JsonNode> all, Request request, int defaultPerPage) {
        int page = Math.max(1, intQuery(request, "page", 1));
        int perPage = Math.max(1, intQuery(request, "per_page", defaultPerPage));
        List<JsonNode> slice = all.stream().skip((long) (page - 1) * perPage).limit(perPage).toList();
        ObjectNode body = JSON.createObjectNode();
        body.putArray(wrapper).addAll(slice);
        body.set("meta", meta(page, slice.size(), perPage));
        return body;
    }

    private static ObjectNode meta(int page, int entries, int perPage) {
        return JSON.createObjectNode().put("page", page).put("entries_count", entries).put("per_page", perPage);
    }

    private static ObjectNode wrap(String wrapper, JsonNode object) {
        ObjectNode body = JSON.createObjectNode();
        body.set(wrapper, object);
        return body;
    }

    private static Reply missing(String field) {
        return Reply.error(400, "bad_request", "Bad request", field + " is missing");
    }

    private static Reply notFound(String what) {
        return Reply.error(404, "not_found", "Not found", what + " not found");
    }

    /** Header, query or JSON body, as Pact v2 accepts ([D2] v2 Authentication). */
    private static String tokenOf(Request request) {
        String header = request.getHeader("X-Private-Api-Token");
        if (header != null && !header.isBlank()) {
            return header;
        }
        String query = query(request, "private_api_token");
        if (query != null) {
            return query;
        }
        return request.isMultipart() ? null : readBody(request).path("private_api_token").asText(null);
    }

    private static Long companyFromQuery(Request request) {
        String value = query(request, "company_id");
        return value == null || !value.matches("\\d+") ? null : Long.parseLong(value);
    }

    private static Long longField(JsonNode body, String field) {
        JsonNode value = body.get(field);
        return value == null || !value.canConvertToLong() ? null : value.asLong();
    }

    private static String query(Request request, String name) {
        QueryParameter parameter = request.queryParameter(name);
        return parameter.isPresent() ? parameter.firstValue() : null;
    }

    private static int intQuery(Request request, String name, int fallback) {
        String value = query(request, name);
        return value == null || !value.matches("\\d+") ? fallback : Integer.parseInt(value);
    }

    private static String pathOf(Request request) {
        return request.getUrl().split("\\?", 2)[0];
    }

    private static JsonNode readBody(Request request) {
        String body = request.getBodyAsString();
        if (body == null || body.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return JSON.createObjectNode();
        }
    }
}
