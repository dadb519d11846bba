package com.pactcrm.connector.amocrm.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmAccountInfo;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmContact;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmCustomFieldValues;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmLead;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNewNote;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNote;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNoteType;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmNoteUpdate;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmPage;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmProblem;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmUser;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmWebhook;
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
import io.micronaut.http.client.HttpClientConfiguration;
import io.micronaut.http.client.ServiceHttpClientConfiguration;
import io.micronaut.http.uri.UriBuilder;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Named;
import jakarta.inject.Singleton;
import java.net.MalformedURLException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocking amoCRM/Kommo REST API v4 client, one for all accounts. Every account lives on its own host
 * (amocrm.md §0), so each call names its {@link AmoCrmAccount} and goes through a low-level
 * {@link HttpClient} cached per base URL. Each call goes through the {@link OutboundCallPipeline}: a permit from the
 * account's limiter ({@code connector.rate-limits.amocrm.default}; amoCRM blocks accounts that keep hitting 429,
 * amocrm.md §4.5), then the host's circuit breaker; failures come out as classified {@link AmoCrmApiException}s.
 */
@Singleton
public class AmoCrmApiClient implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmApiClient.class);

    static final String TARGET = "amocrm";
    /** amoCRM has one limit per account for every endpoint (amocrm.md §4.5), so there is a single bucket. */
    static final String LIMITER_OPERATION = "default";

    /** Entity paths that carry notes and that the connector writes to. */
    public static final String LEADS = "leads";
    public static final String CONTACTS = "contacts";

    /**
     * Writes take up to 250 entities, but amoCRM recommends 50 and big batches end in 504s
     * (amocrm.md §4.5; amocrm.ru/developers/content/api/recommendations).
     */
    public static final int MAX_NOTES_PER_REQUEST = 50;
    /** v4 never returns more than 250 per page, whatever {@code limit} says (amocrm.md §4.1, amocrm-api-php#210). */
    public static final int MAX_PAGE_SIZE = 250;
    /** A phone or name search should find a handful; one page of 50 (the official library's default) is plenty. */
    static final int SEARCH_LIMIT = 50;

    private static final String API = "/api/v4";
    private static final MediaType HAL_JSON = MediaType.of("application/hal+json");

    private final ObjectMapper json;
    private final OutboundRateLimiters rateLimiters;
    private final OutboundCallPipeline pipeline;
    private final OutboundApi<AmoCrmApiException> api = OutboundApi.of(TARGET, LOG,
            (message, disposition, status, retryAfter, cause) ->
                    new AmoCrmApiException(message, disposition, status, null, retryAfter, null, cause),
            this::refused);
    private final Clock clock;
    private final HttpClientConfiguration http;
    private final Duration maxLimiterWait;
    private final Duration rateLimitBackoff;
    private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

    public AmoCrmApiClient(ObjectMapper json,
                           OutboundRateLimiters rateLimiters,
                           OutboundCallPipeline pipeline,
                           Clock clock,
                           @Named("amocrm") ServiceHttpClientConfiguration http,
                           @Value("${connector.amocrm.max-limiter-wait:2s}") Duration maxLimiterWait,
                           @Value("${connector.amocrm.rate-limit-backoff:1s}") Duration rateLimitBackoff) {
        this.json = json;
        this.rateLimiters = rateLimiters;
        this.pipeline = pipeline;
        this.clock = clock;
        this.http = http;
        this.maxLimiterWait = maxLimiterWait;
        this.rateLimitBackoff = rateLimitBackoff;
    }

    /** {@code GET /api/v4/account?with=amojo_id}: the account's id, subdomain and Chats API id (amocrm.md §1.7). */
    public AmoCrmAccountInfo account(AmoCrmAccount account) {
        String uri = UriBuilder.of(API + "/account").queryParam("with", "amojo_id").toString();
        JsonNode body = call(account, "account", HttpRequest.GET(uri))
                .orElseThrow(() -> unexpected("account", "no content"));
        return convert(body, AmoCrmAccountInfo.class);
    }

    /** {@code GET /api/v4/users}, admin only (amocrm.md §4.2, §7.1 fact 12); {@code page} counts from 1. */
    public AmoCrmPage<AmoCrmUser> users(AmoCrmAccount account, int page) {
        String uri = UriBuilder.of(API + "/users").queryParam("page", page).queryParam("limit", MAX_PAGE_SIZE).toString();
        return page(call(account, "users", HttpRequest.GET(uri)), "users", AmoCrmUser.class, page);
    }

    /** {@code GET /api/v4/contacts/{id}?with=leads}; empty when amoCRM answers 204. */
    public Optional<AmoCrmContact> contact(AmoCrmAccount account, long contactId) {
        String uri = UriBuilder.of(API + "/contacts/" + contactId).queryParam("with", "leads").toString();
        return call(account, "contact", HttpRequest.GET(uri)).map(body -> convert(body, AmoCrmContact.class));
    }

    /** {@code GET /api/v4/leads/{id}?with=contacts}; empty when amoCRM answers 204. */
    public Optional<AmoCrmLead> lead(AmoCrmAccount account, long leadId) {
        String uri = UriBuilder.of(API + "/leads/" + leadId).queryParam("with", "contacts").toString();
        return call(account, "lead", HttpRequest.GET(uri)).map(body -> convert(body, AmoCrmLead.class));
    }

    /**
     * {@code GET /api/v4/contacts?query=}: {@code query} also searches custom-field values, which is how a
     * contact is found by phone (amocrm.md §4.2). No match is a 204 and an empty list.
     */
    public List<AmoCrmContact> searchContacts(AmoCrmAccount account, String query) {
        String uri = UriBuilder.of(API + "/contacts").queryParam("query", query)
                .queryParam("limit", SEARCH_LIMIT).toString();
        return page(call(account, "search-contacts", HttpRequest.GET(uri)), "contacts", AmoCrmContact.class, 1).items();
    }

    /** {@code GET /api/v4/leads?query=&with=contacts}; no match is a 204 and an empty list. */
    public List<AmoCrmLead> searchLeads(AmoCrmAccount account, String query) {
        String uri = UriBuilder.of(API + "/leads").queryParam("query", query).queryParam("with", "contacts")
                .queryParam("limit", SEARCH_LIMIT).toString();
        return page(call(account, "search-leads", HttpRequest.GET(uri)), "leads", AmoCrmLead.class, 1).items();
    }

    /**
     * {@code POST /api/v4/contacts} with the phone in the built-in PHONE field, addressed by {@code field_code}
     * so no account-specific field id is needed (amocrm.md §4.3).
     *
     * @param phone             as it should be shown; {@code null} creates a contact without a phone
     * @param responsibleUserId {@code null} leaves amoCRM's default (the token's user)
     * @return the new contact's id
     */
    public long createContact(AmoCrmAccount account, String name, String phone, Long responsibleUserId) {
        ObjectNode contact = json.createObjectNode().put("name", name);
        if (responsibleUserId != null) {
            contact.put("responsible_user_id", responsibleUserId);
        }
        if (phone != null && !phone.isBlank()) {
            ObjectNode field = contact.putArray("custom_fields_values").addObject()
                    .put("field_code", AmoCrmCustomFieldValues.PHONE);
            field.putArray("values").addObject().put("enum_code", "WORK").put("value", phone);
        }
        ArrayNode body = json.createArrayNode().add(contact);
        return createdIds(call(account, "create-contact", jsonRequest(HttpMethod.POST, API + "/contacts", body)),
                "contacts", 1, "create-contact").get(0);
    }

    /**
     * {@code POST /api/v4/leads}, linked to {@code contactId} through {@code _embedded.contacts}
     * (amocrm.md §4.2).
     *
     * @param pipelineId {@code null} with {@code statusId null}: the account's main pipeline, first stage
     * @return the new lead's id
     */
    public long createLead(AmoCrmAccount account, String name, Long pipelineId, Long statusId, Long contactId,
                           Long responsibleUserId) {
        ObjectNode lead = json.createObjectNode().put("name", name);
        if (pipelineId != null) {
            lead.put("pipeline_id", pipelineId);
        }
        if (statusId != null) {
            lead.put("status_id", statusId);
        }
        if (responsibleUserId != null) {
            lead.put("responsible_user_id", responsibleUserId);
        }
        if (contactId != null) {
            lead.putObject("_embedded").putArray("contacts").addObject().put("id", contactId);
        }
        ArrayNode body = json.createArrayNode().add(lead);
        return createdIds(call(account, "create-lead", jsonRequest(HttpMethod.POST, API + "/leads", body)),
                "leads", 1, "create-lead").get(0);
    }

    /**
     * {@code GET /api/v4/leads?filter[id][]=…}: the leads with these ids (a contact's, to see whether any is still open),
     * one page of up to {@value #MAX_PAGE_SIZE}; none is a 204 and an empty list.
     */
    public List<AmoCrmLead> leadsByIds(AmoCrmAccount account, List<Long> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        UriBuilder uri = UriBuilder.of(API + "/leads").queryParam("limit", MAX_PAGE_SIZE);
        ids.stream().limit(MAX_PAGE_SIZE).forEach(id -> uri.queryParam("filter[id][]", id));
        return page(call(account, "leads-by-id", HttpRequest.GET(uri.toString())), "leads", AmoCrmLead.class, 1).items();
    }

    /**
     * {@code POST /api/v4/leads/unsorted/forms}: a lead in the pipeline's "Incoming" (unsorted) stage, where amoCRM
     * wants a person to accept it; a lead cannot be created there with {@code POST /leads} (Kommo reference
     * "Add unsorted leads", https://developers.kommo.com/reference/add-unsorted-forms). {@code source_uid} names the
     * Pact conversation, so the entry says where it came from.
     *
     * @param contactId an existing contact to attach, or {@code null} to create one from {@code name} and {@code phone}
     * @return the new lead's id
     */
    public long createUnsortedLead(AmoCrmAccount account, String sourceUid, String name, Long pipelineId, Long contactId,
                                   String phone) {
        ObjectNode item = json.createObjectNode().put("source_uid", sourceUid).put("source_name", "Pact")
                .put("created_at", clock.instant().getEpochSecond());
        if (pipelineId != null) {
            item.put("pipeline_id", pipelineId);
        }
        item.putObject("metadata").put("form_id", "pact").put("form_name", "Pact")
                .put("form_page", "https://pact.im").put("form_sent_at", clock.instant().getEpochSecond())
                .put("ip", "0.0.0.0");
        ObjectNode embedded = item.putObject("_embedded");
        embedded.putArray("leads").addObject().put("name", name + " — Pact");
        ObjectNode contact = embedded.putArray("contacts").addObject();
        if (contactId != null) {
            contact.put("id", contactId);
        } else {
            contact.put("name", name);
            if (phone != null && !phone.isBlank()) {
                contact.putArray("custom_fields_values").addObject().put("field_code", AmoCrmCustomFieldValues.PHONE)
                        .putArray("values").addObject().put("enum_code", "WORK").put("value", phone);
            }
        }
        JsonNode answer = call(account, "create-unsorted", jsonRequest(HttpMethod.POST, API + "/leads/unsorted/forms",
                json.createArrayNode().add(item))).orElseThrow(() -> ambiguous("create-unsorted", "no content"));
        JsonNode lead = answer.path("_embedded").path("unsorted").path(0).path("_embedded").path("leads").path(0);
        if (!lead.path("id").canConvertToLong()) {
            throw ambiguous("create-unsorted", "answered no lead id");
        }
        return lead.path("id").asLong();
    }

    /**
     * {@code POST /api/v4/tasks}: one task on a lead or contact (amocrm.md §4; Kommo reference "Add tasks":
     * {@code text}, {@code complete_till} unix seconds, {@code entity_id}, {@code entity_type}, {@code task_type_id}
     * 1 = follow-up call, 2 = meeting; {@code responsible_user_id} else the token's user).
     *
     * @return the new task's id
     */
    public long createTask(AmoCrmAccount account, String entityType, long entityId, String text, Instant dueAt,
                           Long responsibleUserId) {
        ObjectNode task = json.createObjectNode().put("text", text).put("complete_till", dueAt.getEpochSecond())
                .put("entity_id", entityId).put("entity_type", entityType).put("task_type_id", 1)
                .put("request_id", "0");
        if (responsibleUserId != null) {
            task.put("responsible_user_id", responsibleUserId);
        }
        return createdIds(call(account, "create-task", jsonRequest(HttpMethod.POST, API + "/tasks",
                json.createArrayNode().add(task))), "tasks", 1, "create-task").get(0);
    }

    /**
     * {@code PATCH /api/v4/tasks}: marks the task done with a result text (Kommo reference "Complete a task":
     * {@code is_completed} and {@code result.text}). Completing a completed task again changes nothing.
     */
    public void completeTask(AmoCrmAccount account, long taskId, String result) {
        ObjectNode task = json.createObjectNode().put("id", taskId).put("is_completed", true);
        task.putObject("result").put("text", result);
        call(account, "complete-task", jsonRequest(HttpMethod.PATCH, API + "/tasks", json.createArrayNode().add(task)));
    }

    /**
     * {@code POST /api/v4/{salesbot|marketingbot}/{bot_id}/continue/{continue_id}} with {@code {"data": …,
     * "execute_handlers": []}}: the bot goes on after its widget step (Kommo reference "Salesbot widget block execution
     * confirmation"; admin rights). {@code path} is the bot's {@code return_url} path, already checked.
     */
    public void continueBot(AmoCrmAccount account, String path, JsonNode data) {
        ObjectNode body = json.createObjectNode();
        body.set("data", data);
        body.putArray("execute_handlers");
        call(account, "continue-bot", jsonRequest(HttpMethod.POST, path, body));
    }

    /**
     * {@code GET /api/v4/leads/pipelines}: the account's pipelines with their stages in {@code _embedded.statuses}
     * (Kommo reference "Pipelines and stages"); stage 142 won and 143 lost close a lead, type 1 is "Incoming".
     */
    public JsonNode pipelines(AmoCrmAccount account) {
        return call(account, "pipelines", HttpRequest.GET(API + "/leads/pipelines"))
                .orElseGet(json::createObjectNode);
    }

    /**
     * {@code POST /api/v4/{leads|contacts}/notes}, {@value #MAX_NOTES_PER_REQUEST} notes per request
     * (amocrm.md §4.4, §4.5).
     *
     * <p>A failure in a later request leaves the earlier requests' notes created: it comes out as an
     * {@link AmoCrmBatchException} carrying their ids, so a retry resends only the rest.
     *
     * @return the new notes' ids, in the order of {@code notes}
     */
    public List<Long> addNotes(AmoCrmAccount account, String entityType, List<AmoCrmNewNote> notes) {
        String path = notesPath(entityType);
        List<Long> ids = new ArrayList<>(notes.size());
        for (int from = 0; from < notes.size(); from += MAX_NOTES_PER_REQUEST) {
            List<AmoCrmNewNote> chunk = notes.subList(from, Math.min(notes.size(), from + MAX_NOTES_PER_REQUEST));
            ArrayNode body = json.createArrayNode();
            for (int i = 0; i < chunk.size(); i++) {
                AmoCrmNewNote note = chunk.get(i);
                ObjectNode item = body.addObject()
                        .put("entity_id", note.entityId())
                        .put("note_type", note.noteType().apiName());
                params(item, note.noteType(), note.text(), note.service());
                // amoCRM echoes request_id per created item, so ids map back to notes even if it reorders them.
                item.put("request_id", String.valueOf(i));
            }
            try {
                ids.addAll(createdIds(call(account, "add-notes", jsonRequest(HttpMethod.POST, path, body)),
                        "notes", chunk.size(), "add-notes"));
            } catch (AmoCrmApiException e) {
                throw ids.isEmpty() ? e : new AmoCrmBatchException(e, ids);
            }
        }
        return ids;
    }

    /**
     * {@code PATCH /api/v4/{leads|contacts}/notes}, in requests of {@value #MAX_NOTES_PER_REQUEST}
     * (amocrm.md §4.4). Whether amoCRM lets a note type be edited is not documented in full (Kommo: "10 note
     * types can be edited", https://developers.kommo.com/reference/notes): a refusal comes back as a 400.
     *
     * @return the updated notes' ids, in the order of {@code updates}
     * @throws AmoCrmBatchException when a later request fails after earlier ones were applied
     */
    public List<Long> updateNotes(AmoCrmAccount account, String entityType, List<AmoCrmNoteUpdate> updates) {
        String path = notesPath(entityType);
        List<Long> ids = new ArrayList<>(updates.size());
        for (int from = 0; from < updates.size(); from += MAX_NOTES_PER_REQUEST) {
            List<AmoCrmNoteUpdate> chunk = updates.subList(from, Math.min(updates.size(), from + MAX_NOTES_PER_REQUEST));
            ArrayNode body = json.createArrayNode();
            for (AmoCrmNoteUpdate update : chunk) {
                ObjectNode item = body.addObject()
                        .put("id", update.noteId())
                        .put("entity_id", update.entityId())
                        .put("note_type", update.noteType().apiName());
                params(item, update.noteType(), update.text(), update.service());
            }
            try {
                JsonNode answer = call(account, "update-notes", jsonRequest(HttpMethod.PATCH, path, body))
                        .orElseThrow(() -> ambiguous("update-notes", "no content"));
                List<Long> updated = new ArrayList<>();
                answer.path("_embedded").path("notes").forEach(n -> updated.add(n.path("id").asLong()));
                if (updated.size() != chunk.size()) {
                    throw ambiguous("update-notes", "answered " + updated.size() + " notes for " + chunk.size());
                }
                ids.addAll(updated);
            } catch (AmoCrmApiException e) {
                throw ids.isEmpty() ? e : new AmoCrmBatchException(e, ids);
            }
        }
        return ids;
    }

    /**
     * {@code GET /api/v4/{leads|contacts}/{id}/notes} of one type changed since {@code since}, newest first, one
     * page of {@value #MAX_PAGE_SIZE} (amocrm.md §4.4; P: https://developers.kommo.com/reference/notes-by-entity-id).
     * Used to find a note whose creation timed out before adding it again. None is a 204 and an empty list.
     */
    public List<AmoCrmNote> recentNotes(AmoCrmAccount account, String entityType, long entityId, AmoCrmNoteType type,
                                        Instant since) {
        notesPath(entityType);
        String uri = UriBuilder.of(API + "/" + entityType + "/" + entityId + "/notes")
                .queryParam("filter[note_type][]", type.apiName())
                .queryParam("filter[updated_at][from]", since.getEpochSecond())
                .queryParam("order[id]", "desc")
                .queryParam("limit", MAX_PAGE_SIZE).toString();
        return page(call(account, "recent-notes", HttpRequest.GET(uri)), "notes", AmoCrmNote.class, 1).items();
    }

    /** {@code GET /api/v4/webhooks}, admin only (amocrm.md §2.1); watch {@code disabled} (§2.4). */
    public List<AmoCrmWebhook> listWebhooks(AmoCrmAccount account) {
        return listWebhooks(account, null);
    }

    /** {@code GET /api/v4/webhooks?filter[destination]=}; {@code null} lists all. */
    public List<AmoCrmWebhook> listWebhooks(AmoCrmAccount account, String destination) {
        UriBuilder uri = UriBuilder.of(API + "/webhooks");
        if (destination != null) {
            uri.queryParam("filter[destination]", destination);
        }
        return page(call(account, "list-webhooks", HttpRequest.GET(uri.toString())), "webhooks",
                AmoCrmWebhook.class, 1).items();
    }

    /**
     * {@code POST /api/v4/webhooks} with {@code destination} and the event codes in {@code settings}
     * (amocrm.md §2.1, §2.2). Re-subscribing the same destination replaces its settings.
     */
    public AmoCrmWebhook subscribeWebhook(AmoCrmAccount account, String destination, List<String> settings) {
        ObjectNode body = json.createObjectNode().put("destination", destination);
        settings.forEach(body.putArray("settings")::add);
        JsonNode answer = call(account, "subscribe-webhook", jsonRequest(HttpMethod.POST, API + "/webhooks", body))
                .orElseThrow(() -> ambiguous("subscribe-webhook", "no content"));
        return convert(answer, AmoCrmWebhook.class);
    }

    /** {@code DELETE /api/v4/webhooks} with {@code {"destination": ...}} in the body (amocrm.md §2.1). */
    public void unsubscribeWebhook(AmoCrmAccount account, String destination) {
        ObjectNode body = json.createObjectNode().put("destination", destination);
        call(account, "unsubscribe-webhook", jsonRequest(HttpMethod.DELETE, API + "/webhooks", body));
    }

    @PreDestroy
    @Override
    public void close() {
        clients.values().forEach(HttpClient::close);
        clients.clear();
    }

    private static String notesPath(String entityType) {
        if (!LEADS.equals(entityType) && !CONTACTS.equals(entityType)) {
            throw new IllegalArgumentException("Notes go to 'leads' or 'contacts', not '" + entityType + "'");
        }
        return API + "/" + entityType + "/notes";
    }

    /** Both connector note types carry {@code params.text}; {@code service_message} adds {@code service} (§4.4). */
    private static void params(ObjectNode item, AmoCrmNoteType type, String text, String service) {
        ObjectNode params = item.putObject("params");
        if (type == AmoCrmNoteType.SERVICE_MESSAGE) {
            params.put("service", service);
        }
        params.put("text", text);
    }

    private MutableHttpRequest<String> jsonRequest(HttpMethod method, String path, JsonNode body) {
        try {
            return HttpRequest.<String>create(method, path)
                    .body(json.writeValueAsString(body))
                    .contentType(MediaType.APPLICATION_JSON_TYPE);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot encode an amoCRM request body", e);
        }
    }

    /** How long until the account's rate limit lets a call go (zero: now), without taking a permit. */
    public Duration nextCallIn(String accountHost) {
        return rateLimiters.nextPermitIn(TARGET, AmoCrmAccount.limiterKeyOf(URI.create("//" + accountHost)), LIMITER_OPERATION);
    }

    /** The answer's JSON, or empty for a 204 / empty body (amoCRM's "nothing found", amocrm.md §4.1). */
    private Optional<JsonNode> call(AmoCrmAccount account, String operation, MutableHttpRequest<?> request) {
        request.bearerAuth(account.accessToken()).accept(HAL_JSON, MediaType.APPLICATION_JSON_TYPE);
        String key = account.limiterKey();
        OutboundCall call = new OutboundCall(operation, key, key, client(account), request, describe(request),
                account.accessToken(), OutboundCall.changesState(request.getMethod()),
                () -> rateLimiters.acquire(TARGET, key, LIMITER_OPERATION, maxLimiterWait));
        return pipeline.call(api, call, response -> pipeline.json(api, call, response));
    }

    private HttpClient client(AmoCrmAccount account) {
        // micronaut.http.services.amocrm: its timeouts, and no redirect followed: the access token goes to the
        // account's host only, never to wherever an answer points.
        return clients.computeIfAbsent(account.baseUrl(), url -> {
            try {
                return HttpClient.create(URI.create(url).toURL(), http);
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("Not a URL: " + url, e);
            }
        });
    }

    /** amoCRM's refusals: problem+json, or an nginx page for a blocked account (amocrm.md §4.1, §7.2). */
    private AmoCrmApiException refused(OutboundCall call, OutboundApi.Refusal refusal) {
        int status = refusal.status();
        AmoCrmProblem problem = parseProblem(refusal.body());
        String message = call.redact(call.description() + " answered " + status + summary(problem));
        return switch (status) {
            case 401 -> health(message, status, problem, AmoCrmApiException.TOKEN_EXPIRED, refusal.cause());
            case 402 -> health(message, status, problem, AmoCrmApiException.PAYMENT_REQUIRED, refusal.cause());
            // After repeated 429s amoCRM answers 403 to every call (often an nginx page) until support unblocks
            // the account; retrying only prolongs it (amocrm.md §4.5, §7.2).
            case 403 -> health(message, status, problem, AmoCrmApiException.ACCOUNT_BLOCKED, refusal.cause());
            case 429 -> {
                Duration wait = refusal.retryAfter().orElse(rateLimitBackoff);
                // amoCRM counts per account: every caller for this account holds off, or 429s turn into a block.
                rateLimiters.pause(TARGET, call.account(), LIMITER_OPERATION, wait);
                yield new AmoCrmApiException(message, Disposition.RATE_LIMITED, status, problem, wait, null,
                        refusal.cause());
            }
            // A gateway error may come after the write was handed on (amoCRM suggests 504s on too-big batches,
            // §4.5): OutboundCall#dispositionOf marks the write ambiguous, not certainly failed.
            default -> new AmoCrmApiException(message, call.dispositionOf(status), status, problem,
                    status >= 500 ? refusal.retryAfter().orElse(null) : null, null, refusal.cause());
        };
    }

    private static AmoCrmApiException health(String message, int status, AmoCrmProblem problem, String healthState,
                                             Throwable cause) {
        return new AmoCrmApiException(message, Disposition.HEALTH, status, problem, null, healthState, cause);
    }

    private AmoCrmProblem parseProblem(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            JsonNode node = json.readTree(body);
            return node != null && node.isObject() ? json.treeToValue(node, AmoCrmProblem.class) : null;
        } catch (JsonProcessingException e) {
            // A blocked account gets an nginx HTML page, and 429s may come without JSON (amocrm.md §7.2).
            return null;
        }
    }

    private static String summary(AmoCrmProblem problem) {
        if (problem == null) {
            return "";
        }
        StringBuilder text = new StringBuilder();
        if (problem.title() != null) {
            text.append(' ').append(problem.title());
        }
        if (problem.detail() != null) {
            text.append(": ").append(problem.detail());
        }
        for (AmoCrmProblem.ValidationError item : problem.validationErrors()) {
            for (AmoCrmProblem.FieldError error : item.errors()) {
                text.append("; [").append(item.requestId()).append("] ").append(error.path())
                        .append(' ').append(error.code()).append(": ").append(error.detail());
            }
        }
        return text.toString();
    }

    /** Method and path only; the query may carry a searched phone number, which logs do not need. */
    private static String describe(HttpRequest<?> request) {
        return "amoCRM " + request.getMethod() + " " + request.getPath();
    }

    private <T> AmoCrmPage<T> page(Optional<JsonNode> body, String entity, Class<T> type, int requestedPage) {
        if (body.isEmpty()) {
            return AmoCrmPage.empty(requestedPage);
        }
        JsonNode root = body.get();
        JsonNode items = root.path("_embedded").path(entity);
        if (!items.isArray()) {
            throw unexpected(entity, "no _embedded." + entity + " list");
        }
        List<T> result = new ArrayList<>(items.size());
        items.forEach(item -> result.add(convert(item, type)));
        int page = root.path("_page").asInt(requestedPage);
        boolean hasNext = root.path("_links").path("next").hasNonNull("href");
        return new AmoCrmPage<>(result, page, hasNext);
    }

    /**
     * Ids of a create call's {@code _embedded.<entity>[]}, put back into request order by {@code request_id}
     * where amoCRM echoes it; amoCRM created something, so an answer we cannot read is ambiguous, not fatal.
     */
    private List<Long> createdIds(Optional<JsonNode> body, String entity, int expected, String operation) {
        JsonNode items = body.map(b -> b.path("_embedded").path(entity)).orElse(null);
        if (items == null || !items.isArray() || items.size() != expected) {
            throw ambiguous(operation, "answered " + (items == null || !items.isArray() ? "no" : items.size())
                    + " " + entity + " for " + expected);
        }
        Long[] ids = new Long[expected];
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            int slot = i;
            JsonNode requestId = item.get("request_id");
            if (requestId != null && requestId.asText().matches("\\d+")) {
                slot = Integer.parseInt(requestId.asText());
            }
            if (slot >= expected || ids[slot] != null) {
                slot = i;
            }
            ids[slot] = item.path("id").asLong();
        }
        return List.of(ids);
    }

    private <T> T convert(JsonNode node, Class<T> type) {
        try {
            return json.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw new AmoCrmApiException("amoCRM answered a " + type.getSimpleName() + " we cannot read: "
                    + e.getOriginalMessage(), OutboundCallPipeline.UNREADABLE_ANSWER, 200, null, null, null, e);
        }
    }

    private static AmoCrmApiException unexpected(String operation, String what) {
        return new AmoCrmApiException("amoCRM " + operation + " answered " + what, Disposition.RETRY, 200,
                null, null, null, null);
    }

    private static AmoCrmApiException ambiguous(String operation, String what) {
        return new AmoCrmApiException("amoCRM " + operation + " " + what, Disposition.RETRY_AMBIGUOUS, 200,
                null, null, null, null);
    }
}
