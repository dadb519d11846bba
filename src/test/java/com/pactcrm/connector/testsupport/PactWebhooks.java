package com.pactcrm.connector.testsupport;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Pact v2 webhook bodies from the fixtures under {@code fixtures/pact-webhooks}, with ids changed where a test needs it. */
public final class PactWebhooks {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PactWebhooks() {
    }

    public static String fixture(String name) {
        try (InputStream in = PactWebhooks.class.getResourceAsStream("/fixtures/pact-webhooks/" + name + ".json")) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A message fixture for another message and conversation. */
    public static String message(String fixture, long messageId, long conversationId) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(fixture(fixture));
            ObjectNode object = (ObjectNode) root.get("object");
            object.put("id", messageId);
            object.put("conversation_id", conversationId);
            ((ObjectNode) object.get("conversation")).put("id", conversationId);
            ((ObjectNode) object.get("conversation")).put("last_message_id", messageId);
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A client's incoming WhatsApp message from {@code phone} (digits) in a conversation of its own; {@code group}: the
     * conversation is a WhatsApp group (Pact's {@code group} flag and a {@code @g.us} dialog id).
     */
    public static String incoming(long messageId, long conversationId, String text, String phone, boolean group) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(message("message-create-incoming", messageId, conversationId));
            ObjectNode object = (ObjectNode) root.get("object");
            object.put("message", text);
            object.put("external_id", "3EB0" + messageId);
            ((ObjectNode) object.get("contact")).put("phone", "+" + phone).put("external_public_id", phone)
                    .put("external_id", phone + "@c.us");
            ((ObjectNode) object.get("conversation")).put("sender_phone", phone).put("sender_external_public_id", phone)
                    .put("sender_external_id", group ? "120363" + conversationId + "@g.us" : phone + "@c.us")
                    .put("group", group);
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Pact's conversation {@code update} with these states (the fixture of an archived conversation, changed). */
    public static String conversationUpdate(long conversationId, String operationalState, String repliedState) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(fixture("conversation-update-archived"));
            ((ObjectNode) root.get("object")).put("id", conversationId).put("operational_state", operationalState)
                    .put("replied_state", repliedState);
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
