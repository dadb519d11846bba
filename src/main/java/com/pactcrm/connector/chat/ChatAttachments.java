package com.pactcrm.connector.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/** {@code message_link.attachments}: a message's attachments as a JSON list, null when it has none. */
public final class ChatAttachments {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<ChatAttachment>> LIST = new TypeReference<>() {
    };

    private ChatAttachments() {
    }

    public static String toJson(List<ChatAttachment> attachments) {
        if (attachments == null || attachments.isEmpty()) {
            return null;
        }
        try {
            return JSON.writeValueAsString(attachments);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("attachments cannot be written as JSON", e);
        }
    }

    public static List<ChatAttachment> fromJson(String json) {
        if (json == null || json.isBlank()) {
            return List.of();
        }
        try {
            return JSON.readValue(json, LIST);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("message_link.attachments is not a list of attachments", e);
        }
    }
}
