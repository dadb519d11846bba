package com.pactcrm.connector.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The contacts, leads, unsorted entries, tasks and pipelines of the {@link AmoCrmFake}'s accounts, shaped like
 * API v4 (amocrm.md §4.2; Kommo reference "Contacts", "Leads", "Unsorted", "Tasks", "Pipelines and stages"):
 * searches by phone digits, {@code _embedded} links between contacts and leads, 204 for an empty answer. Called
 * under the fake's lock.
 */
final class AmoCrmFakeRecords {

    /** amoCRM's fixed closing stages, and the first pipeline's stages (type 1 = "Incoming", unsorted). */
    static final long WON = 142;
    static final long LOST = 143;
    static final long PIPELINE = 7_000_001;
    static final long INCOMING = 7_100_000;
    static final long FIRST_STAGE = 7_100_001;

    record Answer(int status, JsonNode body) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ONE = Pattern.compile("/api/v4/(contacts|leads)/(\\d+)");

    private final AtomicLong ids = new AtomicLong(3_500_000_000L);
    final Map<String, Map<Long, ObjectNode>> contacts = new LinkedHashMap<>();
    final Map<String, Map<Long, ObjectNode>> leads = new LinkedHashMap<>();
    final Map<String, Map<Long, ObjectNode>> tasks = new LinkedHashMap<>();
    final Map<String, List<ObjectNode>> continued = new LinkedHashMap<>();

    boolean handles(String path) {
        return path.startsWith("/api/v4/contacts") || path.startsWith("/api/v4/leads") && !path.endsWith("/notes")
                || path.startsWith("/api/v4/tasks") || path.startsWith("/api/v4/salesbot/");
    }

    Answer handle(String host, String method, String path, String url, JsonNode body) {
        Map<String, List<String>> q = query(url);
        Matcher one = ONE.matcher(path);
        if ("GET".equals(method) && "/api/v4/leads/pipelines".equals(path)) {
            return new Answer(200, pipelines());
        }
        if ("GET".equals(method) && one.matches()) {
            ObjectNode found = ("contacts".equals(one.group(1)) ? contacts : leads)
                    .getOrDefault(host, Map.of()).get(Long.parseLong(one.group(2)));
            return found == null ? new Answer(204, null) : new Answer(200, found);
        }
        if ("POST".equals(method) && path.matches("/api/v4/salesbot/\\d+/continue/\\d+")) {
            // The bot goes on (Kommo reference "Salesbot widget block execution confirmation"); kept to be asserted on.
            continued.computeIfAbsent(host, h -> new ArrayList<>()).add(((ObjectNode) body.deepCopy()).put("path", path));
            return new Answer(200, JSON.createObjectNode());
        }
        switch (method + " " + path) {
            case "GET /api/v4/contacts": {
                String digits = first(q, "query").replaceAll("\\D", "");
                List<ObjectNode> found = contacts.getOrDefault(host, Map.of()).values().stream()
                        .filter(c -> !digits.isEmpty() && phones(c).stream().anyMatch(p -> p.contains(digits))).toList();
                return page("contacts", found);
            }
            case "POST /api/v4/contacts": {
                ArrayNode created = JSON.createArrayNode();
                body.forEach(c -> created.addObject().put("id", putContact(host, (ObjectNode) c.deepCopy()))
                        .put("request_id", c.path("request_id").asText("0")));
                return embedded("contacts", created);
            }
            case "GET /api/v4/leads": {
                List<String> wanted = q.getOrDefault("filter[id][]", List.of());
                return page("leads", leads.getOrDefault(host, Map.of()).values().stream()
                        .filter(l -> wanted.contains(l.path("id").asText())).toList());
            }
            case "POST /api/v4/leads": {
                ArrayNode created = JSON.createArrayNode();
                body.forEach(l -> created.addObject().put("id", putLead(host, (ObjectNode) l.deepCopy()))
                        .put("request_id", l.path("request_id").asText("0")));
                return embedded("leads", created);
            }
            case "POST /api/v4/leads/unsorted/forms": {
                ArrayNode unsorted = JSON.createArrayNode();
                for (JsonNode u : body) {
                    if (!u.hasNonNull("source_uid") || !u.hasNonNull("source_name") || !u.path("metadata").isObject()) {
                        return new Answer(400, JSON.createObjectNode().put("title", "Bad Request").put("status", 400)
                                .put("detail", "source_uid, source_name and metadata are required"));
                    }
                    JsonNode c = u.path("_embedded").path("contacts").path(0);
                    long contactId = c.hasNonNull("id") ? c.path("id").asLong() : putContact(host, (ObjectNode) c.deepCopy());
                    ObjectNode lead = ((ObjectNode) u.path("_embedded").path("leads").path(0).deepCopy())
                            .put("pipeline_id", u.path("pipeline_id").asLong(PIPELINE)).put("status_id", INCOMING);
                    lead.putObject("_embedded").putArray("contacts").addObject().put("id", contactId);
                    long leadId = putLead(host, lead);
                    ObjectNode entry = unsorted.addObject().put("uid", "uid-" + leadId).put("request_id", "0");
                    ObjectNode e = entry.putObject("_embedded");
                    e.putArray("leads").addObject().put("id", leadId);
                    e.putArray("contacts").addObject().put("id", contactId);
                }
                return embedded("unsorted", unsorted);
            }
            case "GET /api/v4/tasks":
                return page("tasks", new ArrayList<>(tasks.getOrDefault(host, Map.of()).values()));
            case "POST /api/v4/tasks": {
                ArrayNode created = JSON.createArrayNode();
                for (JsonNode t : body) {
                    if (!t.hasNonNull("text") || !t.hasNonNull("complete_till")) {
                        return new Answer(400, JSON.createObjectNode().put("title", "Bad Request").put("status", 400));
                    }
                    long id = ids.incrementAndGet();
                    tasks.computeIfAbsent(host, h -> new LinkedHashMap<>())
                            .put(id, ((ObjectNode) t.deepCopy()).put("id", id).put("is_completed", false));
                    created.addObject().put("id", id).put("request_id", t.path("request_id").asText("0"));
                }
                return embedded("tasks", created);
            }
            case "PATCH /api/v4/tasks": {
                ArrayNode updated = JSON.createArrayNode();
                for (JsonNode t : body) {
                    ObjectNode task = tasks.getOrDefault(host, Map.of()).get(t.path("id").asLong());
                    if (task == null) {
                        return new Answer(404, JSON.createObjectNode().put("title", "Not Found").put("status", 404));
                    }
                    t.fields().forEachRemaining(f -> task.set(f.getKey(), f.getValue()));
                    updated.addObject().put("id", task.path("id").asLong());
                }
                return embedded("tasks", updated);
            }
            default:
                return new Answer(404, JSON.createObjectNode().put("title", "Not Found").put("status", 404));
        }
    }

    long putContact(String host, ObjectNode contact) {
        long id = ids.incrementAndGet();
        contact.remove("request_id");
        contact.put("id", id).put("updated_at", Instant.now().getEpochSecond());
        if (!contact.has("responsible_user_id")) {
            contact.put("responsible_user_id", 100);
        }
        contact.putObject("_embedded").putArray("leads");
        contacts.computeIfAbsent(host, h -> new LinkedHashMap<>()).put(id, contact);
        return id;
    }

    long putLead(String host, ObjectNode lead) {
        long id = ids.incrementAndGet();
        lead.remove("request_id");
        lead.put("id", id);
        if (!lead.has("pipeline_id")) {
            lead.put("pipeline_id", PIPELINE);
        }
        if (!lead.has("status_id")) {
            lead.put("status_id", FIRST_STAGE);
        }
        leads.computeIfAbsent(host, h -> new LinkedHashMap<>()).put(id, lead);
        for (JsonNode c : lead.path("_embedded").path("contacts")) {
            ObjectNode contact = contacts.getOrDefault(host, Map.of()).get(c.path("id").asLong());
            if (contact != null) {
                ((ArrayNode) contact.path("_embedded").path("leads")).addObject().put("id", id);
            }
        }
        return id;
    }

    private static List<String> phones(JsonNode contact) {
        List<String> out = new ArrayList<>();
        for (JsonNode f : contact.path("custom_fields_values")) {
            if ("PHONE".equals(f.path("field_code").asText())) {
                f.path("values").forEach(v -> out.add(v.path("value").asText().replaceAll("\\D", "")));
            }
        }
        return out;
    }

    private static ObjectNode pipelines() {
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode list = answer.putObject("_embedded").putArray("pipelines");
        ObjectNode p = list.addObject().put("id", PIPELINE).put("name", "Funil de vendas").put("is_main", true);
        ArrayNode statuses = p.putObject("_embedded").putArray("statuses");
        statuses.addObject().put("id", INCOMING).put("name", "Incoming leads").put("type", 1);
        statuses.addObject().put("id", FIRST_STAGE).put("name", "Primeiro contato").put("type", 0);
        statuses.addObject().put("id", WON).put("name", "Closed - won").put("type", 0);
        statuses.addObject().put("id", LOST).put("name", "Closed - lost").put("type", 0);
        return answer;
    }

    private static Answer page(String entity, List<ObjectNode> items) {
        if (items.isEmpty()) {
            return new Answer(204, null);
        }
        ObjectNode answer = JSON.createObjectNode().put("_page", 1);
        ArrayNode list = answer.putObject("_embedded").putArray(entity);
        items.forEach(list::add);
        return new Answer(200, answer);
    }

    private static Answer embedded(String entity, ArrayNode items) {
        ObjectNode answer = JSON.createObjectNode();
        answer.putObject("_embedded").set(entity, items);
        return new Answer(200, answer);
    }

    private static String first(Map<String, List<String>> q, String key) {
        List<String> v = q.get(key);
        return v == null || v.isEmpty() ? "" : v.get(0);
    }

    private static Map<String, List<String>> query(String url) {
        Map<String, List<String>> q = new LinkedHashMap<>();
        int at = url.indexOf('?');
        if (at >= 0) {
            for (String pair : url.substring(at + 1).split("&")) {
                String[] kv = pair.split("=", 2);
                q.computeIfAbsent(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), k -> new ArrayList<>())
                        .add(kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
        }
        return q;
    }
}
