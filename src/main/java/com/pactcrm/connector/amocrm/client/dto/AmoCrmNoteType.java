package com.pactcrm.connector.amocrm.client.dto;

/**
 * The note types the connector writes (amocrm.md §4.4; https://developers.kommo.com/reference/notes-types).
 * Both carry {@code params.text}; {@code service_message} also names the {@code service} shown as the
 * note's author.
 */
public enum AmoCrmNoteType {
    COMMON("common"),
    SERVICE_MESSAGE("service_message");

    private final String apiName;

    AmoCrmNoteType(String apiName) {
        this.apiName = apiName;
    }

    /** The {@code note_type} value on the wire. */
    public String apiName() {
        return apiName;
    }

    public static AmoCrmNoteType fromApiName(String apiName) {
        for (AmoCrmNoteType type : values()) {
            if (type.apiName.equals(apiName)) {
                return type;
            }
        }
        throw new IllegalArgumentException("Unsupported amoCRM note type: " + apiName);
    }
}
