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
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stateful amoCRM for several accounts at once, told apart by the {@code Host} they are called under
 * (each account has its own host, amocrm.md §0): token refresh, and lead notes that are created, edited
 * and listed back as amoCRM does (amocrm.md §1.3, §4.4). Every call is recorded with its time.
 */
public final class AmoCrmFake {

    public record Call(Instant at, String host, String method, String path, String body, int status) {
    }

    record Note(long id, String host, long leadId, String noteType, String service, String text, long updatedAt) {
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

    public List<Call> calls() {
        synchronized (backend) {
            return List.copyOf(backend.calls);
        }
    }

    /** The notes an account's leads have, as amoCRM would list them. */
    public List<String> noteTexts(String host) {
        synchronized (backend) {
            return backend.notes.stream().filter(n -> n.host().equals(host)).map(Note::text).toList();
        }
    }

    private static final class Backend implements ResponseDefinitionTransformerV2 {

        private final List<Call> calls = new ArrayList<>();
        private final List<Note> notes = new ArrayList<>();
        private final AtomicLong nextNoteId = new AtomicLong(4_100_000_000L);

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
            ObjectNode answer;
            int status = 200;
            synchronized (this) {
                long now = Instant.now().getEpochSecond();
                Matcher leadNotes = LEAD_NOTES.matcher(path);
                if ("POST".equals(method) && "/oauth2/access_token".equals(path)) {
                    answer = JSON.createObjectNode().put("token_type", "Bearer").put("expires_in", 86400)
                            .put("access_token", "amo-access-" + UUID.randomUUID()).put("refresh_token", "amo-refresh-" + UUID.randomUUID());
                } else if ("POST".equals(method) && "/api/v4/leads/notes".equals(path)) {
                    answer = create(host, read(body), now);
                } else if ("PATCH".equals(method) && "/api/v4/leads/notes".equals(path)) {
                    answer = update(host, read(body), now);
                } else if ("GET".equals(method) && leadNotes.matches()) {
                    answer = list(host, Long.parseLong(leadNotes.group(1)), request.getUrl());
                    status = answer.path("_embedded").path("notes").isEmpty() ? 204 : 200;
                } else {
                    answer = JSON.createObjectNode().put("title", "Not Found").put("status", 404);
                    status = 404;
                }
                calls.add(new Call(Instant.now(), host, method, path, body, status));
            }
            ResponseDefinitionBuilder response = ResponseDefinitionBuilder.responseDefinition().withStatus(status);
            if (status != 204) {
                response.withHeader("Content-Type", status == 200 ? "application/hal+json" : "application/problem+json")
                        .withBody(answer.toString());
            }
            return response.build();
        }

        private ObjectNode create(String host, JsonNode items, long now) {
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode created = answer.putObject("_embedded").putArray("notes");
            for (JsonNode item : items) {
                Note note = new Note(nextNoteId.incrementAndGet(), host, item.path("entity_id").asLong(),
                        item.path("note_type").asText(), item.at("/params/service").asText(null), item.at("/params/text").asText(), now);
                notes.add(note);
                created.addObject().put("id", note.id()).put("entity_id", note.leadId())
                        .put("request_id", item.path("request_id").asText());
            }
            return answer;
        }

        private ObjectNode update(String host, JsonNode items, long now) {
            ObjectNode answer = JSON.createObjectNode();
            ArrayNode updated = answer.putObject("_embedded").putArray("notes");
            for (JsonNode item : items) {
                long id = item.path("id").asLong();
                for (int i = 0; i < notes.size(); i++) {
                    Note n = notes.get(i);
                    if (n.id() == id && n.host().equals(host)) {
                        notes.set(i, new Note(id, host, n.leadId(), n.noteType(), n.service(), item.at("/params/text").asText(), now));
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
            Map<String, String> q = new java.util.HashMap<>();
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
    }
}
