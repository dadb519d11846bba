package com.pactcrm.connector.pact.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.sync.resilience.OutboundApi;
import com.pactcrm.connector.sync.resilience.OutboundCall;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import com.pactcrm.connector.sync.resilience.OutboundCallPipeline;
import com.pactcrm.connector.sync.resilience.OutboundRateLimiters;
import io.micronaut.context.annotation.Value;
import io.micronaut.http.HttpMethod;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.annotation.Client;
import io.micronaut.http.client.multipart.MultipartBody;
import io.micronaut.http.uri.UriBuilder;
import jakarta.inject.Singleton;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocking Pact client over Micronaut's low-level {@link HttpClient} (service id {@code pact}, base URL
 * {@code connector.pact.api-url}). Every call goes through the {@link OutboundCallPipeline}: a permit from the
 * per-token limiter of its operation, then the Pact host's circuit breaker; failures come out as classified
 * {@link PactApiException}s.
 */
@Singleton
public class PactHttpClient implements PactGateway {

    private static final Logger LOG = LoggerFactory.getLogger(PactHttpClient.class);

    static final String TARGET = "pact";
    /** Pact v1 and v2 both accept the private token in this header (https://api.pact.im docs, "Authentication"). */
    static final String TOKEN_HEADER = "X-Private-Api-Token";
    private static final String V2 = "/api/p2";
    /** Pact documents no {@code Retry-After} and puts the wait only in prose; a minute covers its longest window. */
    private static final Duration DEFAULT_RATE_LIMIT_WAIT = Duration.ofSeconds(60);
    /**
     * Pact's documented "Please wait for 50 seconds" (pact-im/api-doc {@code content/en/v2/rate-limits.md}), read
     * liberally so that shorter wordings such as "Please wait 2 seconds" work too.
     */
    private static final Pattern WAIT_SECONDS = Pattern.compile("(\\d+)\\s*sec", Pattern.CASE_INSENSITIVE);

    /** Limiter buckets, named as in {@code connector.rate-limits.pact.*}; Pact limits per token and endpoint group. */
    enum Operation {
        SEND("send"),
        CONVERSATION_READ("conversation-read"),
        MESSAGE_READ("message-read"),
        TEMPLATE_READ("template-read"),
        UPLOAD("upload"),
        DEFAULT("default");

        final String limiterName;

        Operation(String limiterName) {
            this.limiterName = limiterName;
        }
    }

    private final HttpClient httpClient;
    private final ObjectMapper json;
    private final OutboundRateLimiters rateLimiters;
    private final OutboundCallPipeline pipeline;
    /**
     * The client follows no redirect (the request carries the API token, application.yml), so a 3xx means Pact did not
     * do what was asked, and the token went nowhere else. Retried along the ladder, as a maintenance redirect passes;
     * one that stays means {@code connector.pact.api-url} is wrong.
     */
    private final OutboundApi<PactApiException> api = OutboundApi.of(TARGET, LOG,
            (message, disposition, status, retryAfter, cause) ->
                    new PactApiException(message, disposition, status, null, null, retryAfter, null, cause),
            this::refused).hintingOnRedirect(": is connector.pact.api-url Pact's API address?");
    private final String host;
    private final Duration maxLimiterWait;

    public PactHttpClient(@Client(id = "pact") HttpClient httpClient,
                          ObjectMapper json,
                          OutboundRateLimiters rateLimiters,
                          OutboundCallPipeline pipeline,
                          @Value("${connector.pact.api-url}") String apiUrl,
                          @Value("${connector.pact.max-limiter-wait:2s}") Duration maxLimiterWait) {
        this.httpClient = httpClient;
        this.json = json;
        this.rateLimiters = rateLimiters;
        this.pipeline = pipeline;
        this.host = URI.create(apiUrl).getHost();
        this.maxLimiterWait = maxLimiterWait;
    }

    @Override
    public List<PactConversation> searchConversations(PactCredentials credentials, String searchString, int page,
                                                      int perPage) {
        UriBuilder uri = v2(credentials, "/conversations")
                .queryParam("page", page)
                .queryParam("per_page", perPage);
        if (searchString != null) {
            uri.queryParam("search_string", searchString);
        }
        JsonNode body = call(credentials, Operation.CONVERSATION_READ, HttpRequest.GET(uri.toString()));
        return readList(body, "conversations", PactConversation.class);
    }

    @Override
    public PactConversation getConversation(PactCredentials credentials, long conversationId) {
        UriBuilder uri = v2(credentials, "/conversations/" + conversationId);
        JsonNode body = call(credentials, Operation.CONVERSATION_READ, HttpRequest.GET(uri.toString()));
        return readObject(body, "conversation", PactConversation.class);
    }

    @Override
    public PactConversation updateConversation(PactCredentials credentials, long conversationId,
                                               PactConversationUpdate update) {
        ObjectNode body = companyBody(credentials);
        if (update.unassign()) {
            // Pact reads an explicit null as "remove the responsible" (pact-im/api-doc
            // content/ru/v2/conversations/update-conversation.md); an absent field leaves the assignee alone.
            body.putNull("assignee_id");
        } else if (update.assigneeId() != null) {
            body.put("assignee_id", update.assigneeId());
        }
        if (update.operationalState() != null) {
            body.put("operational_state", update.operationalState());
        }
        if (update.repliedState() != null) {
            body.put("replied_state", update.repliedState());
        }
        JsonNode answer = call(credentials, Operation.DEFAULT,
                jsonRequest(HttpMethod.PUT, V2 + "/conversations/" + conversationId, body));
        return readObject(answer, "conversation", PactConversation.class);
    }

    @Override
    public PactMessage writeFirst(PactCredentials credentials, PactWriteFirstRequest request) {
        ObjectNode body = companyBody(credentials);
        body.put("provider", request.provider());
        if (request.phone() != null && !request.phone().isEmpty()) {
            body.put("phone", request.phone());
        } else {
            body.put("nickname", request.nickname());
        }
        if (request.text() != null) {
            body.put("text", request.text());
        }
        if (request.wabaId() != null) {
            body.put("waba_id", request.wabaId());
            request.substitutions().forEach(body.putArray("substitutions")::add);
        }
        if (request.attachmentId() != null) {
            body.putArray("attachment_ids").add(request.attachmentId());
        }
        notToPactCrm(body);
        JsonNode answer = call(credentials, Operation.SEND, jsonRequest(HttpMethod.POST, V2 + "/messages", body));
        return readObject(answer, "message", PactMessage.class);
    }

    @Override
    public PactMessage sendMessage(PactCredentials credentials, long conversationId, PactSendMessageRequest request) {
        ObjectNode body = companyBody(credentials);
        if (request.text() != null) {
            body.put("text", request.text());
        }
        if (request.attachmentId() != null) {
            body.putArray("attachment_ids").add(request.attachmentId());
        }
        if (request.repliedToId() != null) {
            body.put("replied_to_id", request.repliedToId());
        }
        notToPactCrm(body);
        JsonNode answer = call(credentials, Operation.SEND,
                jsonRequest(HttpMethod.POST, V2 + "/conversations/" + conversationId + "/messages", body));
        return readObject(answer, "message", PactMessage.class);
    }

    @Override
    public List<PactMessage> listMessages(PactCredentials credentials, long conversationId, int page, int perPage) {
        UriBuilder uri = v2(credentials, "/conversations/" + conversationId + "/messages")
                .queryParam("page", page)
                .queryParam("per_page", perPage);
        JsonNode body = call(credentials, Operation.MESSAGE_READ, HttpRequest.GET(uri.toString()));
        return readList(body, "messages", PactMessage.class);
    }

    /**
     * {@code GET /api/p2/waba_templates?company_ids[]=<cid>}: v2 documents templates only across companies,
     * filtered by {@code company_ids} ([D2] {@code en/v2/waba-templates/get-waba-templates.md}); the
     * company-scoped path {@code /companies/{cid}/waba_templates} exists only in v1.
     */
    @Override
    public List<PactWabaTemplate> wabaTemplates(PactCredentials credentials, int page, int perPage) {
        UriBuilder uri = UriBuilder.of(V2 + "/waba_templates")
                .queryParam("company_ids[]", credentials.companyId())
                .queryParam("page", page)
                .queryParam("per_page", perPage);
        JsonNode body = call(credentials, Operation.TEMPLATE_READ, HttpRequest.GET(uri.toString()));
        return readList(body, "waba_templates", PactWabaTemplate.class);
    }

    @Override
    public PactAttachment uploadAttachment(PactCredentials credentials, String fileName, String mimeType,
                                           byte[] content) {
        MultipartBody multipart = MultipartBody.builder()
                .addPart("company_id", String.valueOf(credentials.companyId()))
                .addPart("file", fileName, mimeType == null ? MediaType.APPLICATION_OCTET_STREAM_TYPE : MediaType.of(mimeType),
                        content)
                .build();
        MutableHttpRequest<MultipartBody> request = HttpRequest.POST(V2 + "/attachments/", multipart)
                .contentType(MediaType.MULTIPART_FORM_DATA_TYPE);
        JsonNode answer = call(credentials, Operation.UPLOAD, request);
        return readObject(answer, "attachment", PactAttachment.class);
    }

    @Override
    public PactAttachment uploadAttachmentFromUrl(PactCredentials credentials, String fileUrl) {
        ObjectNode body = companyBody(credentials);
        body.put("file_url", fileUrl);
        JsonNode answer = call(credentials, Operation.UPLOAD, jsonRequest(HttpMethod.POST, V2 + "/attachments/", body));
        return readObject(answer, "attachment", PactAttachment.class);
    }

    /** v2 documents no limit of its own for auths, so they share Pact's default bucket. */
    @Override
    public List<PactAuth> listAuths(PactCredentials credentials, int page, int perPage) {
        UriBuilder uri = UriBuilder.of(V2 + "/companies/" + credentials.companyId() + "/auths")
                .queryParam("page", page)
                .queryParam("per_page", perPage);
        JsonNode body = call(credentials, Operation.DEFAULT, HttpRequest.GET(uri.toString()));
        return readList(body, "auths", PactAuth.class);
    }

    @Override
    public List<PactWebhook> listWebhooks(PactCredentials credentials) {
        JsonNode body = call(credentials, Operation.DEFAULT, HttpRequest.GET(companyWebhooks(credentials)));
        return readList(body, "webhooks", PactWebhook.class);
    }

    @Override
    public PactWebhook registerWebhook(PactCredentials credentials, String url) {
        ObjectNode body = json.createObjectNode().put("url", url);
        JsonNode answer = call(credentials, Operation.DEFAULT,
                jsonRequest(HttpMethod.POST, companyWebhooks(credentials), body));
        return readObject(answer, "webhook", PactWebhook.class);
    }

    @Override
    public PactWebhook activateWebhook(PactCredentials credentials, long webhookId) {
        ObjectNode body = json.createObjectNode().put("active", true);
        JsonNode answer = call(credentials, Operation.DEFAULT,
                jsonRequest(HttpMethod.PUT, companyWebhooks(credentials) + "/" + webhookId, body));
        return readObject(answer, "webhook", PactWebhook.class);
    }

    /** v1 has no rate-limit table of its own, so the note shares Pact's default bucket. */
    @Override
    public void setConversationNote(PactCredentials credentials, long conversationId, String note) {
        ObjectNode body = json.createObjectNode().put("note", note);
        String path = "/p1/companies/" + credentials.companyId() + "/conversations/" + conversationId + "/note";
        call(credentials, Operation.DEFAULT, jsonRequest(HttpMethod.PUT, path, body));
    }

    private UriBuilder v2(PactCredentials credentials, String path) {
        return UriBuilder.of(V2 + path).queryParam("company_id", credentials.companyId());
    }

    private static String companyWebhooks(PactCredentials credentials) {
        return V2 + "/companies/" + credentials.companyId() + "/webhooks";
    }

    private ObjectNode companyBody(PactCredentials credentials) {
        return json.createObjectNode().put("company_id", credentials.companyId());
    }

    /**
     * Pact defaults {@code send_to_crm} to true and would copy our own message into its native CRM
     * integration, duplicating it in the CRM timeline (pact-im/api-doc v2 send-message and write-first pages).
     */
    private static void notToPactCrm(ObjectNode body) {
        body.put("send_to_crm", false);
    }

    private MutableHttpRequest<String> jsonRequest(HttpMethod method, String path, JsonNode body) {
        try {
            return HttpRequest.<String>create(method, path)
                    .body(json.writeValueAsString(body))
                    .contentType(MediaType.APPLICATION_JSON_TYPE);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot encode a Pact request body", e);
        }
    }

    /** The answer's JSON; an empty object for an empty answer. */
    private JsonNode call(PactCredentials credentials, Operation operation, MutableHttpRequest<?> request) {
        request.header(TOKEN_HEADER, credentials.apiToken()).accept(MediaType.APPLICATION_JSON_TYPE);
        OutboundCall call = new OutboundCall(operation.limiterName, credentials.tokenKey(), host, httpClient, request,
                describe(request), credentials.apiToken(), OutboundCall.changesState(request.getMethod()),
                () -> rateLimiters.acquire(TARGET, credentials.tokenKey(), operation.limiterName, maxLimiterWait));
        return pipeline.call(api, call, response -> pipeline.json(api, call, response).orElseGet(json::createObjectNode));
    }

    /** Pact's refusals: {@code {"errors":[...]}} (see {@link PactError}), a 429's wait in its text. */
    private PactApiException refused(OutboundCall call, OutboundApi.Refusal refusal) {
        int status = refusal.status();
        PactError error = PactError.parse(json, refusal.body());
        String message = call.redact(call.description() + " answered " + status
                + (error.code() == null ? "" : " " + error.code())
                + (error.detail() == null ? "" : ": " + error.detail()));
        String detail = call.redact(error.detail());
        return switch (status) {
            case 401 -> health(message, status, error, detail, "UNAUTHORIZED", refusal.cause());
            case 402 -> health(message, status, error, detail, "PAYMENT_REQUIRED", refusal.cause());
            // "Endpoint unavailable to you" (pact-im/api-doc content/ru/errors.md), e.g. a v2 send on a free
            // tariff: a plan or permission state that retrying cannot fix.
            case 403 -> health(message, status, error, detail, "FORBIDDEN", refusal.cause());
            case 429 -> {
                Duration wait = waitFrom(error.detail())
                        .or(refusal::retryAfter)
                        .orElse(DEFAULT_RATE_LIMIT_WAIT);
                // Pact counts per token, so every caller of this token and operation must hold off, not just this one.
                rateLimiters.pause(TARGET, call.account(), call.operation(), wait);
                yield new PactApiException(message, Disposition.RATE_LIMITED, status, error.code(), detail, wait, null,
                        refusal.cause());
            }
            // OutboundCall#dispositionOf: a 502/504 proxy may have handed a write on, so it is looked up before it
            // is sent again; 500/503 mean Pact itself failed or is in maintenance. A Retry-After is honoured.
            default -> new PactApiException(message, call.dispositionOf(status), status, error.code(), detail,
                    status >= 500 ? refusal.retryAfter().orElse(null) : null, null, refusal.cause());
        };
    }

    private static PactApiException health(String message, int status, PactError error, String detail,
                                           String healthState, Throwable cause) {
        return new PactApiException(message, Disposition.HEALTH, status, error.code(), detail, null, healthState, cause);
    }

    static Optional<Duration> waitFrom(String detail) {
        if (detail == null) {
            return Optional.empty();
        }
        Matcher m = WAIT_SECONDS.matcher(detail);
        return m.find() ? Optional.of(Duration.ofSeconds(Long.parseLong(m.group(1)))) : Optional.empty();
    }

    /** Method and path only: the query string carries nothing secret, but paths are enough to find the call. */
    private static String describe(HttpRequest<?> request) {
        return "Pact " + request.getMethod() + " " + request.getPath();
    }

    /** Pact wraps single objects ({@code {"conversation":{...}}}); a bare object is accepted as well. */
    private <T> T readObject(JsonNode body, String wrapper, Class<T> type) {
        JsonNode node = body.has(wrapper) && body.get(wrapper).isObject() ? body.get(wrapper) : body;
        return convert(node, type);
    }

    /** Pact wraps lists ({@code {"conversations":[...],"meta":{...}}}); a bare array is accepted as well. */
    private <T> List<T> readList(JsonNode body, String wrapper, Class<T> type) {
        JsonNode items = body.isArray() ? body : body.get(wrapper);
        if (items == null || !items.isArray()) {
            throw new PactApiException("Pact answered without a '" + wrapper + "' list", Disposition.RETRY, 200,
                    null, null, null, null, null);
        }
        List<T> result = new ArrayList<>(items.size());
        items.forEach(item -> result.add(convert(item, type)));
        return result;
    }

    private <T> T convert(JsonNode node, Class<T> type) {
        try {
            return json.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw new PactApiException("Pact answered a " + type.getSimpleName() + " we cannot read: "
                    + e.getOriginalMessage(), OutboundCallPipeline.UNREADABLE_ANSWER, 200, null, null, null, null, e);
        }
    }

    /**
     * The first entry of Pact's {@code {"errors":[{"status","code","title","detail"}]}} body (pact-im/api-doc
     * v2 authentication and rate-limit pages).
     */
    record PactError(String code, String detail) {

        static final PactError NONE = new PactError(null, null);

        static PactError parse(ObjectMapper json, String body) {
            if (body == null || body.isBlank()) {
                return NONE;
            }
            try {
                JsonNode first = json.readTree(body).path("errors").path(0);
                if (!first.isObject()) {
                    return NONE;
                }
                return new PactError(text(first, "code"), text(first, "detail"));
            } catch (JsonProcessingException e) {
                return NONE;
            }
        }

        private static String text(JsonNode node, String field) {
            JsonNode value = node.get(field);
            return value == null || value.isNull() ? null : value.asText();
        }
    }
}
