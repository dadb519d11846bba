package com.pactcrm.connector.pact.webhook;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.pactcrm.connector.chat.ChatAttachment;
import com.pactcrm.connector.chat.ChatEvent;
import com.pactcrm.connector.chat.ChatEvent.ChannelStateObserved;
import com.pactcrm.connector.chat.ChatEvent.ConversationObserved;
import com.pactcrm.connector.chat.ChatEvent.Handshake;
import com.pactcrm.connector.chat.ChatEvent.Ignored;
import com.pactcrm.connector.chat.ChatEvent.MessageObserved;
import com.pactcrm.connector.chat.ConversationSnapshot;
import com.pactcrm.connector.chat.MessageStatus;
import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pure translation of Pact's v2 webhook envelope {@code {"event","type","object"}} into a
 * {@link ChatEvent} (https://api.pact.im docs, "Webhooks"; pact-api.md §3.2). The docs' own example
 * contradicts its prose in places (an incoming create with status "delivered", an operational state
 * "active"), so unknown values are logged and tolerated rather than rejected.
 */
public final class PactWebhookTranslator {

    private static final Logger LOG = LoggerFactory.getLogger(PactWebhookTranslator.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private PactWebhookTranslator() {
    }

    public static JsonNode parse(byte[] body) {
        try {
            JsonNode root = JSON.readTree(body);
            if (root == null || !root.isObject()) {
                throw new UnprocessableEventException("body is not a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new UnprocessableEventException("body is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UnprocessableEventException("body cannot be read");
        }
    }

    public static boolean isHandshake(JsonNode root) {
        return "pact.im".equals(root.path("source").asText()) && "test".equals(root.path("operation").asText());
    }

    /** Whether the envelope has the fields every v2 event carries (checked on the request path). */
    public static boolean isEnvelope(JsonNode root) {
        return root.path("type").isTextual() && root.path("event").isTextual() && root.path("object").isObject();
    }

    public static ChatEvent translate(byte[] body) {
        JsonNode root = parse(body);
        if (isHandshake(root)) {
            return new Handshake();
        }
        if (!isEnvelope(root)) {
            throw new UnprocessableEventException("not a Pact v2 webhook envelope (type, event, object)");
        }
        String type = root.path("type").asText();
        String action = root.path("event").asText();
        JsonNode object = root.path("object");
        return switch (type) {
            case "message" -> message(action, object);
            case "conversation" -> new ConversationObserved(action, conversation(object));
            case "auth" -> new ChannelStateObserved(requiredId(object, "id"), text(object, "provider"),
                    "delete".equals(action) ? "deleted" : text(object, "state"),
                    firstText(object, "phone_number", "username"));
            default -> {
                LOG.warn("event=pact_unknown_webhook_type type={} action={}", type, action);
                yield new Ignored("unknown type " + type);
            }
        };
    }

    private static ChatEvent message(String action, JsonNode m) {
        if ("delete".equals(action)) {
            return new Ignored("message deleted");
        }
        String rawStatus = text(m, "status");
        MessageStatus status = MessageStatus.fromPact(rawStatus).orElse(null);
        if (status == null) {
            LOG.warn("event=pact_unknown_message_status status={}", rawStatus);
            return new Ignored("unknown message status " + rawStatus);
        }
        boolean income = m.path("income").asBoolean(false);
        // Docs say an incoming message arrives once as "created", but their example shows "delivered":
        // for the connector an incoming message has no ticks to show.
        if (income) {
            status = MessageStatus.CREATED;
        }
        JsonNode contact = m.path("contact");
        JsonNode conversationNode = m.path("conversation");
        long conversationId = m.hasNonNull("conversation_id") ? m.get("conversation_id").asLong()
                : requiredId(conversationNode, "id");
        ConversationSnapshot conversation = conversationNode.isObject() && conversationNode.hasNonNull("id")
                ? conversation(conversationNode)
                : new ConversationSnapshot(conversationId, null, null, null, null, null, null);
        // On outgoing messages the contact is the Pact operator, identified by internal_id (pact-api.md §3.2).
        Long operatorId = !income && contact.hasNonNull("internal_id") ? contact.get("internal_id").asLong() : null;
        JsonNode details = m.path("details");
        return new MessageObserved(
                "create".equals(action),
                requiredId(m, "id"),
                conversationId,
                income,
                status,
                details.isMissingNode() || details.isNull() ? null : details.toString(),
                text(m, "external_id"),
                text(m, "message"),
                instant(firstText(m, "external_created_at", "created_at")),
                text(contact, "name"),
                firstText(contact, "phone", "external_public_id"),
                operatorId,
                conversation,
                attachments(m.path("attachments")));
    }

    /**
     * Pact's {@code attachments[]} items ({@code id, file_name, mime_type, size, attachment_url, preview_url}; [D2]
     * en/v2/attachments/index.md). An item without a numeric id cannot be linked to and is left out, logged.
     */
    public static List<ChatAttachment> attachments(JsonNode items) {
        if (!items.isArray() || items.isEmpty()) {
            return List.of();
        }
        List<ChatAttachment> result = new ArrayList<>(items.size());
        for (JsonNode a : items) {
            if (!a.path("id").canConvertToLong()) {
                LOG.warn("event=pact_attachment_without_id type={}", a.getNodeType());
                continue;
            }
            JsonNode size = a.path("size");
            result.add(new ChatAttachment(a.get("id").asLong(), text(a, "file_name"), text(a, "mime_type"),
                    size.canConvertToLong() ? size.asLong() : null, text(a, "attachment_url"), text(a, "preview_url")));
        }
        return result;
    }

    private static ConversationSnapshot conversation(JsonNode c) {
        JsonNode assignee = c.hasNonNull("assignee_id") ? c.get("assignee_id") : c.path("assignee").path("id");
        return new ConversationSnapshot(requiredId(c, "id"), text(c, "provider"), text(c, "sender_name"),
                text(c, "sender_phone"), text(c, "sender_external_public_id"), text(c, "operational_state"),
                text(c, "replied_state"), isGroup(c), assignee.canConvertToLong() ? assignee.asLong() : null);
    }

    /**
     * {@code group} is documented as a boolean (pact-api.md §2.1); a WhatsApp group's {@code sender_external_id} is a
     * {@code 120363…@g.us}-style id, which is also taken as a group in case a payload leaves the flag out.
     */
    private static boolean isGroup(JsonNode c) {
        if (c.path("group").asBoolean(false)) {
            return true;
        }
        String external = text(c, "sender_external_id");
        return external != null && external.endsWith("@g.us");
    }

    private static long requiredId(JsonNode node, String field) {
        JsonNode id = node.path(field);
        if (!id.canConvertToLong() && !(id.isTextual() && id.asText().matches("\\d+"))) {
            throw new UnprocessableEventException("missing numeric " + field);
        }
        return id.asLong();
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isMissingNode() || v.isNull() ? null : v.asText();
    }

    private static String firstText(JsonNode node, String... fields) {
        for (String f : fields) {
            String v = text(node, f);
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }

    private static Instant instant(String iso) {
        if (iso == null) {
            return null;
        }
        try {
            return Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
