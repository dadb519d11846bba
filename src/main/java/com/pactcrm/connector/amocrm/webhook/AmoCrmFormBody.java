package com.pactcrm.connector.amocrm.webhook;

import com.pactcrm.connector.sync.inbound.UnprocessableEventException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes an {@code application/x-www-form-urlencoded} body with PHP-style nested keys
 * ({@code leads[note][0][note][text]=...}) into nested maps, the shape amoCRM describes for its
 * webhooks as {@code {entity:{action:{0:{fields}}}}} (amocrm.md §2.3; P: amocrm.ru
 * developers/content/crm_platform/webhooks-format). A typed form binding cannot express
 * "any entity, any action, any index", so the raw body is read here.
 *
 * <p>Values are {@code String} leaves or {@code Map<String, Object>} branches, in the order keys first
 * appear in the body. As in PHP, a repeated key keeps its last value and {@code []} appends.
 */
public final class AmoCrmFormBody {

    private AmoCrmFormBody() {
    }

    public static Map<String, Object> parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new UnprocessableEventException("empty webhook body");
        }
        String raw = new String(body, StandardCharsets.UTF_8).strip();
        if (raw.isEmpty()) {
            throw new UnprocessableEventException("empty webhook body");
        }
        Map<String, Object> root = new LinkedHashMap<>();
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            put(root, path(key), value);
        }
        if (root.isEmpty()) {
            throw new UnprocessableEventException("webhook body has no fields");
        }
        return Collections.unmodifiableMap(root);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new UnprocessableEventException("webhook body is not form-urlencoded: " + e.getMessage());
        }
    }

    /** {@code a[b][0]} into {@code [a, b, 0]}; an empty segment ({@code []}) stays empty and means "append". */
    static List<String> path(String key) {
        int open = key.indexOf('[');
        String name = open < 0 ? key : key.substring(0, open);
        if (name.isEmpty()) {
            throw new UnprocessableEventException("webhook field without a name: " + abbreviate(key));
        }
        List<String> segments = new ArrayList<>();
        segments.add(name);
        int i = open;
        while (i >= 0 && i < key.length()) {
            if (key.charAt(i) != '[') {
                throw new UnprocessableEventException("malformed webhook field name: " + abbreviate(key));
            }
            int close = key.indexOf(']', i);
            if (close < 0) {
                throw new UnprocessableEventException("unclosed bracket in webhook field name: " + abbreviate(key));
            }
            segments.add(key.substring(i + 1, close));
            i = close + 1;
        }
        return segments;
    }

    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> root, List<String> path, String value) {
        Map<String, Object> node = root;
        for (int i = 0; i < path.size(); i++) {
            String segment = path.get(i).isEmpty() ? String.valueOf(node.size()) : path.get(i);
            boolean leaf = i == path.size() - 1;
            Object existing = node.get(segment);
            if (leaf) {
                if (existing instanceof Map) {
                    throw new UnprocessableEventException("webhook field is both a value and a group: " + String.join(".", path));
                }
                node.put(segment, value);
            } else {
                if (existing == null) {
                    Map<String, Object> child = new LinkedHashMap<>();
                    node.put(segment, child);
                    node = child;
                } else if (existing instanceof Map) {
                    node = (Map<String, Object>) existing;
                } else {
                    throw new UnprocessableEventException("webhook field is both a value and a group: " + String.join(".", path));
                }
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
