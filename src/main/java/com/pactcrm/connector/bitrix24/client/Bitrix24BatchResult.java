package com.pactcrm.connector.bitrix24.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * The answer to a {@code batch} call: per command key its {@code result}, or its error from
 * {@code result_error} (bitrix24.md §7.1). A batch is always HTTP 200, so a failed command shows only here.
 */
public record Bitrix24BatchResult(Map<String, JsonNode> results, Map<String, Error> errors) {

    /** One command's {@code {"error": ..., "error_description": ...}}. */
    public record Error(String error, String description) {
    }
}
