package com.pactcrm.connector.bitrix24;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Bitrix24 form body ({@code application/x-www-form-urlencoded}) as a flat map of its raw keys:
 * events nest with PHP brackets ({@code data[FIELDS][ID]}, {@code auth[member_id]}, bitrix24.md §3.2) and frames
 * post flat fields ({@code AUTH_ID}, {@code PLACEMENT_OPTIONS}, §1.3). The few fields the connector reads are
 * looked up by their full key, so no nesting is rebuilt.
 */
public final class Bitrix24Form {

    private final Map<String, String> fields;

    private Bitrix24Form(Map<String, String> fields) {
        this.fields = fields;
    }

    /** @throws IllegalArgumentException when the body is not form-urlencoded */
    public static Bitrix24Form parse(byte[] body) {
        Map<String, String> fields = new LinkedHashMap<>();
        String raw = body == null ? "" : new String(body, StandardCharsets.UTF_8).strip();
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            fields.put(key, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return new Bitrix24Form(Collections.unmodifiableMap(fields));
    }

    /** The value, or null when absent or empty. */
    public String get(String key) {
        String v = fields.get(key);
        return v == null || v.isEmpty() ? null : v;
    }

    public boolean isEmpty() {
        return fields.isEmpty();
    }

    /**
     * The body as it may be journaled: without the access, refresh and application tokens, which must never
     * be stored in plaintext (and are not needed: stored installer tokens are used).
     */
    public byte[] withoutSecrets() {
        StringBuilder out = new StringBuilder();
        fields.forEach((k, v) -> {
            if (k.equals("auth[access_token]") || k.equals("auth[refresh_token]") || k.equals("auth[application_token]")) {
                return;
            }
            if (!out.isEmpty()) {
                out.append('&');
            }
            out.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
