package com.pactcrm.connector.testsupport;

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
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A stateful amoCRM for several accounts at once, told apart by the {@code Host} they are called under
 * (each account has its own host, amocrm.md §0): token refresh, and lead notes that are created, edited
 * and listed back as amoCRM does (amocrm.md §1.3, §4.4). Every call is recorded with its time, and every
 * arrival per account with its {@link System#nanoTime()} instant ({@link Arrivals}).
 *
 * <p>Opt-in, for load and field measurements (existing tests see none of it):
 * <ul>
 *   <li>{@link #enforceLimits()}: amoCRM's account limits (amocrm.md §4.5): an arrival that makes more than
 *       {@value #REQUESTS_PER_SECOND} in any second (token refreshes included) is answered 429; more than
 *       {@value #REFUSALS_BEFORE_BLOCK} such 429s within {@link #BLOCK_WINDOW} block the account: every call is
 *       then answered 403 with nginx's HTML page until {@link #unblock(String)}, as support does;</li>
 *   <li>{@link #withLatency(ResponseLatency)}: answers take that long (the arrival still counts when it came);</li>
 *   <li>{@link #withFaults(FaultInjection)}: a seeded share of the API calls fails (5xx, hung then reset, or
 *       written and then the answer lost);</li>
 *   <li>{@link #onNotesAdded(Consumer)}: told of every note created, e.g. to post amoCRM's {@code notes} webhook
 *       back to the connector as a subscribed account does.</li>
 * </ul>
 */
public final class AmoCrmFake implements AfterAllCallback {

    public static final int REQUESTS_PER_SECOND = 7;
    public static final int REFUSALS_BEFORE_BLOCK = 20;
    public static final Duration BLOCK_WINDOW = Duration.ofSeconds(60);

    public record Call(Instant at, String host, String method, String path, String body, int status) {
    }

    /** A note as the account keeps it. */
    public record Note(long id, String host, long leadId, String noteType, String service, String text, long updatedAt) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LEAD_NOTES = Pattern.compile("/api/v4/leads/(\\d+)/notes");

    private final WireMockServer server;
    private final Backend backend = new Backend();

    private AmoCrmFake() {
        this.server = new WireMockServer(options().dynamicPort().containerThreads(64).disableRequestJournal()
                .extensions(backend));
    }

    public static AmoCrmFake start() {
        AmoCrmFake fake = new AmoCrmFake();
        fake.server.start();
        fake.server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200)));
        return fake;
    }

    public int port() {
        return server.port();
    }

    public void stop() {
        server.stop();
    }

    /** As a {@code @RegisterExtension static final} field, the fake stops after its test class. */
    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    /** Enforce amoCRM's per-account rate limit and its block after repeated 429s. */
    public AmoCrmFake enforceLimits() {
        synchronized (backend) {
            backend.limits = true;
        }
        return this;
    }

    public AmoCrmFake withLatency(ResponseLatency latency) {
        synchronized (backend) {
            backend.latency = latency;
        }
        return this;
    }

    /** Fail a share of the {@code /api/v4} calls; token refreshes are spared. */
    public AmoCrmFake withFaults(FaultInjection faults) {
        synchronized (backend) {
            backend.faults = faults;
        }
        return this;
    }

    /** Called, outside the fake's lock, with the notes each request created. */
    public AmoCrmFake onNotesAdded(Consumer<List<TimelineWrite>> listener) {
        synchronized (backend) {
            backend.notesAdded = listener;
        }
        return this;
    }

    public List<Call> calls() {
        synchronized (backend) {
            return List.copyOf(backend.calls);
        }
    }

    /** The notes an account's leads have, as amoCRM would list them. */
    public List<String> noteTexts(String host) {
        return notes(host).stream().map(Note::text).toList();
    }

    public List<Note> notes(String host) {
        synchronized (backend) {
            return backend.notes.stream().filter(n -> n.host().equals(host)).toList();
        }
    }

    /** A contact the account already has, with a phone; @return its id */
    public long putContact(String host, String name, String phone, long responsibleUserId) {
        ObjectNode contact = JSON.createObjectNode().put("name", name).put("responsible_user_id", responsibleUserId);
        contact.putArray("custom_fields_values").addObject().put("field_code", "PHONE").putArray("values").addObject()
                .put("value", phone);
        synchronized (backend) {
            return backend.records.putContact(host, contact);
        }
    }

    /** A lead of the contact in {@code statusId} (142 won and 143 lost are closed); @return its id */
    public long putLead(String host, long contactId, long statusId) {
        ObjectNode lead = JSON.createObjectNode().put("name", "Earlier deal").put("status_id", statusId)
                .put("responsible_user_id", 779);
        lead.putObject("_embedded").putArray("contacts").addObject().put("id", contactId);
        synchronized (backend) {
            return backend.records.putLead(host, lead);
        }
    }

    /** The account's contacts, leads or tasks as amoCRM keeps them; {@code continued}: the bots let go on. */
    public List<JsonNode> records(String host, String entity) {
        synchronized (backend) {
            if ("continued".equals(entity)) {
                return backend.records.continued.getOrDefault(host, List.of()).stream().map(n -> (JsonNode) n.deepCopy()).toList();
            }
            Map<Long, ObjectNode> found = switch (entity) {
                case "contacts" -> backend.records.contacts.getOrDefault(host, Map.of());
                case "leads" -> backend.records.leads.getOrDefault(host, Map.of());
                default -> backend.records.tasks.getOrDefault(host, Map.of());
            };
            return found.values().stream().map(n -> (JsonNode) n.deepCopy()).toList();
        }
    }

    /** Every note an account's requests created or edited, in order. */
    public List<TimelineWrite> writes(String host) {
        synchronized (backend) {
            return backend.writes.stream().filter(w -> w.account().equals(host)).toList();
        }
    }

    /** The instants requests reached the account at or after {@code fromNanos}, ascending. */
    public long[] arrivals(String host, long fromNanos) {
        synchronized (backend) {
            return backend.arrivals(host).since(fromNanos);
        }
    }

    /** The most requests that reached the account within any one second since {@code fromNanos}. */
    public int busiestSecond(String host, long fromNanos) {
        return Arrivals.busiest(arrivals(host, fromNanos), Duration.ofSeconds(1));
    }

    /** How many of the account's requests were answered 429 since {@code fromNanos}. */
    public int tooManyRequests(String host, long fromNanos) {
        synchronized (backend) {
            return (int) backend.refusals.getOrDefault(host, List.of()).stream().filter(t -> t >= fromNanos).count();
        }
    }

    /** How many of the account's requests were answered 403 because it was blocked. */
    public int forbidden(String host) {
        synchronized (backend) {
            return backend.forbidden.getOrDefault(host, 0);
        }
    }

    public boolean blocked(String host) {
        synchronized (backend) {
            return backend.blocked.contains(host);
        }
    }

    /** What amoCRM support does on request: the account answers again, its 429 history forgotten. */
    public void unblock(String host) {
        synchronized (backend) {
            backend.blocked.remove(host);
            backend.refusals.remove(host);
        }
    }

    private static final class Backend implements ResponseDefinitionTransformerV2 {

        private final List<Call> calls = new ArrayList<>();
        private final AmoCrmFakeRecords records = new AmoCrmFakeRecords();
        private final List<Note> notes = new ArrayList<>();
        private final List<TimelineWrite> writes = new ArrayList<>();
        private final AtomicLong nextNoteId = new AtomicLong(4_100_000_000L);
        private final Map<String, Arrivals> arrivals = new HashMap<>();
        private final Map<String, List<Long>> refusals = new HashMap<>();
        private final Map<String, Integer> forbidden = new HashMap<>();
        private final Set<String> blocked = new HashSet<>();
        private boolean limits;
        private ResponseLatency latency;
        private FaultInjection faults;
        private Consumer<List<TimelineWrite>> notesAdded;

        @Override
        public String getName() {
            return "amocrm-fake";
        }

        @Override
        public ResponseDefinition transform(ServeEvent serveEvent) {
            Request request = serveEvent.getRequest();
            String path = request.getUrl().split("\\?")[0];
            String method = request.getMethod().getName();
            String host = request.getHeader("Host");
            String body = request.getBodyAsString();
            List<TimelineWrite> added = new ArrayList<>();
            ResponseDefinitionBuilder response;
            int status;
            FaultInjection.Decision fault = null;
            Consumer<List<TimelineWrite>> listener;
            synchronized (this) {
                long arrived = arrivals(host).arrive();
                listener = notesAdded;
                if (limits && blocked.contains(host)) {
                    forbidden.merge(host, 1, Integer::sum);
                    status = 403;
                    response = ResponseDefinitionBuilder.responseDefinition().withStatus(403)
                            .withHeader("Content-Type", "text/html").withBody(fixture("error-403-blocked.html"));
                } else if (limits && arrivals(host).within(arrived, Duration.ofSeconds(1)) > REQUESTS_PER_SECOND) {
                    refuse(host, arrived);
                    status = 429;
                    response = ResponseDefinitionBuilder.responseDefinition().withStatus(429)
                            .withHeader("Content-Type", "application/problem+json").withBody(fixture("error-429.json"));
                } else {
                    fault = faults != null && path.startsWith("/api/") ? faults.next() : null;
                    if (fault != null && !fault.applied()) {
                        status = fault.status();
                        response = fault.answer();
                    } else {
                        ObjectNode answer;
                        status = 200;
                        Matcher leadNotes = LEAD_NOTES.matcher(path);
                        if ("POST".equals(method) && "/oauth2/access_token".equals(path)) {
                            answer = JSON.createObjectNode().put("token_type", "Bearer").put("expires_in", 86400)
                                    .put("access_token", "amo-access-" + UUID.randomUUID())
                                    .put("refresh_token", "amo-refresh-" + UUID.randomUUID());
                        } else if ("POST".equals(method) && "/api/v4/leads/notes".equals(path)) {
                            answer = create(host, read(body), arrived, added);
                        } else if ("PATCH".equals(method) && "/api/v4/leads/notes".equals(path)) {
                            answer = update(host, read(body), arrived);
                        } else if ("GET".equals(method) && leadNotes.matches()) {
                            answer = list(host, Long.parseLong(leadNotes.group(1)), request.getUrl());
                            status = answer.path("_embedded").path("notes").isEmpty() ? 204 : 200;
                        } else if (records.handles(path)) {
                            AmoCrmFakeRecords.Answer a = records.handle(host, method, path, request.getUrl(),
                                    body == null || body.isEmpty() ? JSON.createArrayNode() : read(body));
                            status = a.status();
                            answer = a.body() instanceof ObjectNode o ? o : JSON.createObjectNode();
                        } else {
                            answer = JSON.createObjectNode().put("title", "Not Found").put("status", 404);
                            status = 404;
                        }
                        response = ResponseDefinitionBuilder.responseDefinition().withStatus(status);
                        if (status != 204) {
                            response.withHeader("Content-Type", status == 200 ? "application/hal+json" : "application/problem+json")
                                    .withBody(answer.toString());
                        }
                        if (fault != null) {
                            status = fault.status();
                            response = fault.answer();
                        }
                    }
                }
                calls.add(new Call(Instant.now(), host, method, path, body, status));
                // A failed call has its own timing (FaultInjection.HOLD).
                if (latency != null && fault == null) {
                    response.withFixedDelay(latency.nextMillis());
                }
            }
            if (listener != null && !added.isEmpty()) {
                listener.accept(added);
            }
            return response.build();
        }

        private Arrivals arrivals(String host) {
            return arrivals.computeIfAbsent(host, h -> new Arrivals());
        }

        /** A 429; the account is blocked once it has had too many of them lately. */
        private void refuse(String host, long arrived) {
            List<Long> refused = refusals.computeIfAbsent(host, h -> new ArrayList<>());
            refused.add(arrived);
            long from = arrived - BLOCK_WINDOW.toNanos();
            if (refused.stream().filter(t -> t > from).count() > REFUSALS_BEFORE_BLOCK) {
                blocked.add(host);
            }
        }

        private ObjectNode create(String host, JsonNode items, long arrived, List<TimelineWrite> added) {
            long now = Instant.now().getEpochSecond();
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode created = answer.putObject("_embedded").putArray("notes");
            for (JsonNode item : items) {
                Note note = new Note(nextNoteId.incrementAndGet(), host, item.path("entity_id").asLong(),
                        item.path("note_type").asText(), item.at("/params/service").asText(null), item.at("/params/text").asText(), now);
                notes.add(note);
                TimelineWrite write = new TimelineWrite(arrived, host, Long.toString(note.leadId()), note.id(), note.text(), true);
                writes.add(write);
                added.add(write);
                created.addObject().put("id", note.id()).put("entity_id", note.leadId())
                        .put("request_id", item.path("request_id").asText());
            }
            return answer;
        }

        private ObjectNode update(String host, JsonNode items, long arrived) {
            long now = Instant.now().getEpochSecond();
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode updated = answer.putObject("_embedded").putArray("notes");
            for (JsonNode item : items) {
                long id = item.path("id").asLong();
                for (int i = 0; i < notes.size(); i++) {
                    Note n = notes.get(i);
                    if (n.id() == id && n.host().equals(host)) {
                        String text = item.at("/params/text").asText();
                        notes.set(i, new Note(id, host, n.leadId(), n.noteType(), n.service(), text, now));
                        writes.add(new TimelineWrite(arrived, host, Long.toString(n.leadId()), id, text, false));
                        updated.addObject().put("id", id).put("entity_id", n.leadId()).put("updated_at", now);
                    }
                }
            }
            return answer;
        }

        private ObjectNode list(String host, long leadId, String url) {
            Map<String, String> query = query(url);
            String type = query.get("filter[note_type][]");
            long from = Long.parseLong(query.getOrDefault("filter[updated_at][from]", "0"));
            ObjectNode answer = JSON.createObjectNode().put("_page", 1);
            ArrayNode listed = answer.putObject("_embedded").putArray("notes");
            for (int i = notes.size() - 1; i >= 0; i--) {
                Note n = notes.get(i);
                if (n.host().equals(host) && n.leadId() == leadId && (type == null || type.equals(n.noteType()))
                        && n.updatedAt() >= from) {
                    ObjectNode item = listed.addObject().put("id", n.id()).put("entity_id", n.leadId())
                            .put("note_type", n.noteType()).put("updated_at", n.updatedAt()).put("created_by", 0);
                    item.putObject("params").put("service", n.service()).put("text", n.text());
                }
            }
            return answer;
        }

        private static Map<String, String> query(String url) {
            Map<String, String> q = new HashMap<>();
            int at = url.indexOf('?');
            if (at >= 0) {
                for (String pair : url.substring(at + 1).split("&")) {
                    String[] kv = pair.split("=", 2);
                    q.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
                }
            }
            return q;
        }

        private static JsonNode read(String body) {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static String fixture(String name) {
            try (InputStream in = AmoCrmFake.class.getResourceAsStream("/fixtures/amocrm/" + name)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
