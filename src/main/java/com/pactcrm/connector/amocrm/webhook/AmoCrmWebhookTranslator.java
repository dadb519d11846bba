package com.pactcrm.connector.amocrm.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.crm.event.CrmEntityType;
import com.pactcrm.connector.crm.event.CrmEvent;
import com.pactcrm.connector.crm.event.CrmEvent.Ignored;
import com.pactcrm.connector.crm.event.CrmEvent.NoteAdded;
import com.pactcrm.connector.crm.event.CrmEvent.ResponsibleChanged;
import com.pactcrm.connector.crm.event.NoteKind;
import com.pactcrm.connector.crm.form.BracketedForm;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pure translation of an amoCRM/Kommo account webhook into {@link CrmEvent}s (amocrm.md §2.3;
 * P: https://www.amocrm.ru/developers/content/crm_platform/webhooks-format). The body is
 * form-urlencoded with v2-style field names, {@code {entity}[{action}][{i}][{field}]}, and one body
 * can carry several entities and actions: every item of a followed action (responsible, note) becomes
 * one event and any other action one {@link Ignored}, entities and actions in the order they first appear,
 * items in index order.
 *
 * <p>Most of the wire format is known only from captured payloads in third-party code, so unknown
 * entities and actions become {@link Ignored} rather than errors; only a body that is not a form, or an
 * item of a followed action without a usable id, is {@link UnprocessableEventException}.
 */
public final class AmoCrmWebhookTranslator {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmWebhookTranslator.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Entity life-cycle actions no use-case reads (amocrm.md §2.2). They are no longer subscribed
     * ({@code AmoCrmInstallation.WEBHOOK_EVENTS}), but a hook registered before keeps sending them until it is
     * registered again, and amoCRM disables a hook that keeps failing (§2.4): each action is one {@link Ignored},
     * its items unread.
     */
    private static final Set<String> UNFOLLOWED_ACTIONS = Set.of("add", "update", "delete", "restore", "status");

    private AmoCrmWebhookTranslator() {
    }

    public static AmoCrmWebhook translate(byte[] body) {
        return translate(body, AmoCrmNoteOrigin.none());
    }

    public static AmoCrmWebhook translate(byte[] body, AmoCrmNoteOrigin noteOrigin) {
        Map<String, Object> form = BracketedForm.parse(body).tree();
        Map<String, Object> account = group(form.get("account"));
        String accountId = account == null ? null : optionalId(account, "id", "account[id]");
        String subdomain = account == null ? null : text(account, "subdomain");
        List<CrmEvent> events = new ArrayList<>();
        for (Map.Entry<String, Object> entity : form.entrySet()) {
            if ("account".equals(entity.getKey())) {
                continue;
            }
            Map<String, Object> actions = group(entity.getValue());
            if (actions == null) {
                throw new UnprocessableEventException("webhook field " + entity.getKey() + " is a value, not an entity group");
            }
            for (Map.Entry<String, Object> action : actions.entrySet()) {
                String where = entity.getKey() + "[" + action.getKey() + "]";
                Map<String, Object> items = group(action.getValue());
                if (items == null) {
                    throw new UnprocessableEventException("webhook field " + where + " is a value, not a list of items");
                }
                translateAction(entity.getKey(), action.getKey(), items, noteOrigin, events);
            }
        }
        if (accountId == null) {
            LOG.warn("event=amocrm_webhook_without_account events={}", events.size());
        }
        return new AmoCrmWebhook(accountId, subdomain, events);
    }

    private static void translateAction(String entityKey, String action, Map<String, Object> items,
                                        AmoCrmNoteOrigin noteOrigin, List<CrmEvent> out) {
        CrmEntityType envelopeType = switch (entityKey) {
            case "leads" -> CrmEntityType.LEAD;
            // Companies arrive under "contacts" with type=company (amocrm.md §2.3); "companies" is
            // accepted in case a webhook ever uses the v4 entity name.
            case "contacts" -> CrmEntityType.CONTACT;
            case "companies" -> CrmEntityType.COMPANY;
            default -> null;
        };
        // Unsorted, catalogs, customers, tasks, talks, and every entity's life cycle: not followed by the connector.
        if (envelopeType == null || UNFOLLOWED_ACTIONS.contains(action)) {
            out.add(new Ignored("amoCRM " + entityKey + "[" + action + "] x" + items.size()));
            return;
        }
        for (Map.Entry<String, Object> item : ordered(items)) {
            String where = entityKey + "[" + action + "][" + item.getKey() + "]";
            Map<String, Object> fields = group(item.getValue());
            if (fields == null) {
                throw new UnprocessableEventException("webhook field " + where + " is a value, not an item");
            }
            out.add(translateItem(envelopeType, entityKey, action, fields, where, noteOrigin));
        }
    }

    private static CrmEvent translateItem(CrmEntityType envelopeType, String entityKey, String action,
                                          Map<String, Object> f, String where, AmoCrmNoteOrigin noteOrigin) {
        if ("note".equals(action)) {
            return note(envelopeType, f, where, noteOrigin);
        }
        CrmEntityType type = envelopeType == CrmEntityType.CONTACT && "company".equalsIgnoreCase(text(f, "type"))
                ? CrmEntityType.COMPANY : envelopeType;
        return switch (action) {
            case "responsible" -> new ResponsibleChanged(type, requiredId(f, "id", where),
                    requiredId(f, "responsible_user_id", where), optionalId(f, "old_responsible_user_id", where),
                    firstId(f, where, "modified_user_id", "updated_by"), epoch(f, "updated_at", "last_modified"));
            default -> {
                LOG.warn("event=amocrm_unknown_webhook_action entity={} action={}", entityKey, action);
                yield new Ignored("amoCRM " + entityKey + "[" + action + "]");
            }
        };
    }

    /**
     * Notes nest one level deeper, {@code leads[note][0][note][...]} (amocrm.md §2.3, from live hooks in
     * four third-party sources; not in the docs). A flat item is read the same way in case that changes.
     */
    private static NoteAdded note(CrmEntityType envelopeType, Map<String, Object> item, String where,
                                  AmoCrmNoteOrigin noteOrigin) {
        Map<String, Object> nested = group(item.get("note"));
        Map<String, Object> n = nested != null ? nested : item;
        String elementType = text(n, "element_type");
        // v2 element types: 1 contact, 2 lead (amocrm.md §2.3), 3 company (v2 API constant, not in the
        // webhook sources); otherwise the envelope (and a company's type=company) decides.
        CrmEntityType type = switch (elementType == null ? "" : elementType) {
            case "1", "contact" -> CrmEntityType.CONTACT;
            case "2", "lead" -> CrmEntityType.LEAD;
            case "3", "company" -> CrmEntityType.COMPANY;
            default -> envelopeType == CrmEntityType.CONTACT
                    && ("company".equalsIgnoreCase(text(item, "type")) || "company".equalsIgnoreCase(text(n, "type")))
                    ? CrmEntityType.COMPANY : envelopeType;
        };
        String entityId = firstId(n, where, "element_id", "entity_id");
        if (entityId == null) {
            throw new UnprocessableEventException("missing numeric element_id in " + where);
        }
        String noteType = text(n, "note_type");
        NoteKind kind = kind(noteType);
        String text = text(n, "text");
        String service = firstNonEmpty(text(n, "params", "service"), text(n, "metadata", "service"));
        // Service and call notes may carry their params as a JSON object in "text" (the v2 API did);
        // if so, take the human-readable text and the service name from it.
        if (text != null && text.startsWith("{") && kind != NoteKind.COMMON) {
            JsonNode params = json(text);
            if (params != null) {
                service = firstNonEmpty(service, params.path("service").isTextual() ? params.path("service").asText() : null);
                if (params.path("text").isTextual()) {
                    text = params.path("text").asText();
                }
            }
        }
        String author = firstId(n, where, "created_by", "created_user_id");
        return new NoteAdded(type, entityId, optionalId(n, "id", where), noteType, kind, text, author, service,
                noteOrigin.isOurs(author, service), epoch(n, "created_at", "date_create", "updated_at", "last_modified"));
    }

    /**
     * Webhooks send v2 numeric note types (4 common, 10/11 calls; 25 service message per one source;
     * amocrm.md §2.3); the v4 names are accepted too. 1, 2, 3, 12, 13 are the v2 API's system notes
     * (entity created, stage changed, company created, task result).
     */
    static NoteKind kind(String noteType) {
        if (noteType == null) {
            return NoteKind.OTHER;
        }
        return switch (noteType.toLowerCase()) {
            case "4", "common" -> NoteKind.COMMON;
            case "10", "11", "call_in", "call_out" -> NoteKind.CALL;
            case "25", "service_message", "extended_service_message" -> NoteKind.SERVICE;
            case "1", "2", "3", "12", "13" -> NoteKind.SYSTEM;
            default -> NoteKind.OTHER;
        };
    }

    /** Items in index order: {@code [0], [1], ..., [10]}, not the string order {@code [10]} before {@code [2]}. */
    private static List<Map.Entry<String, Object>> ordered(Map<String, Object> items) {
        List<Map.Entry<String, Object>> entries = new ArrayList<>(items.entrySet());
        if (entries.stream().allMatch(e -> isDigits(e.getKey()) && e.getKey().length() < 10)) {
            entries.sort(Comparator.comparingInt(e -> Integer.parseInt(e.getKey())));
        }
        return entries;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> group(Object value) {
        return value instanceof Map ? (Map<String, Object>) value : null;
    }

    private static String text(Map<String, Object> node, String... path) {
        Object v = node;
        for (String p : path) {
            if (!(v instanceof Map<?, ?> m)) {
                return null;
            }
            v = m.get(p);
        }
        return v instanceof String s ? s : null;
    }

    private static String requiredId(Map<String, Object> f, String field, String where) {
        String id = text(f, field);
        if (id == null || !isDigits(id)) {
            throw new UnprocessableEventException("missing numeric " + field + " in " + where);
        }
        return id;
    }

    /** A numeric id, or null when absent or empty; anything else is a malformed body. */
    private static String optionalId(Map<String, Object> f, String field, String where) {
        String id = text(f, field);
        if (id == null || id.isEmpty()) {
            return null;
        }
        if (!isDigits(id)) {
            throw new UnprocessableEventException("non-numeric " + field + " in " + where);
        }
        return id;
    }

    private static String firstId(Map<String, Object> f, String where, String... fields) {
        for (String field : fields) {
            String id = optionalId(f, field, where);
            if (id != null) {
                return id;
            }
        }
        return null;
    }

    /** Unix seconds (v2 fields {@code created_at}, {@code updated_at}, {@code date_create}, {@code last_modified}). */
    private static Instant epoch(Map<String, Object> f, String... fields) {
        for (String field : fields) {
            String v = text(f, field);
            if (v != null && isDigits(v) && v.length() <= 12) {
                return Instant.ofEpochSecond(Long.parseLong(v));
            }
        }
        return null;
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static String firstNonEmpty(String a, String b) {
        return a != null && !a.isEmpty() ? a : (b != null && !b.isEmpty() ? b : null);
    }

    private static JsonNode json(String text) {
        try {
            JsonNode node = JSON.readTree(text);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }
}
