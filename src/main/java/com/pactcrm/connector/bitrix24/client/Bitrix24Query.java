package com.pactcrm.connector.bitrix24.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * A {@code batch} command is a string {@code "method?query"} whose query uses PHP's nested keys
 * ({@code fields[COMMENT]=...}, {@code values[0]=...}); bitrix24.md §7.1,
 * https://apidocs.bitrix24.com/settings/how-to-call-rest-api/batch.html.
 */
public final class Bitrix24Query {

    private Bitrix24Query() {
    }

    public static String command(String method, JsonNode params) {
        StringBuilder query = new StringBuilder();
        append(query, null, params);
        return query.isEmpty() ? method : method + "?" + query;
    }

    private static void append(StringBuilder query, String prefix, JsonNode node) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                append(query, prefix == null ? f.getKey() : prefix + "[" + f.getKey() + "]", f.getValue());
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                append(query, prefix + "[" + i + "]", node.get(i));
            }
        } else if (prefix != null && !node.isNull()) {
            if (!query.isEmpty()) {
                query.append('&');
            }
            query.append(encode(prefix)).append('=').append(encode(node.asText()));
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
