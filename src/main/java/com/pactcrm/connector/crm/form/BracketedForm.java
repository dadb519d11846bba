package com.pactcrm.connector.crm.form;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An {@code application/x-www-form-urlencoded} body whose names nest with PHP brackets, as both CRMs post them:
 * amoCRM webhooks ({@code leads[note][0][note][text]=...}, amocrm.md §2.3;
 * https://www.amocrm.ru/developers/content/crm_platform/webhooks-format) and Bitrix24 events, robots and senders
 * ({@code data[FIELDS][ID]}, {@code auth[member_id]}, bitrix24.md §3.2), next to the flat fields Bitrix24 frames
 * post ({@code AUTH_ID}, {@code PLACEMENT_OPTIONS}, §1.3).
 *
 * <p>Two views of one parse. {@link #get} looks a field up by its whole decoded name and reads no brackets, so a
 * mangled name is just a field nobody asks for: Bitrix24's readers know the few names they need. {@link #tree}
 * rebuilds the nesting PHP would ({@code {entity:{action:{0:{fields}}}}}), for amoCRM's "any entity, any action,
 * any index", and refuses names that do not nest. As in PHP, a repeated name keeps its last value and {@code []}
 * appends. Size is bounded before this runs, by the request body limit ({@code RequestBodyLimitFilter}).
 */
public final class BracketedForm {

    /** The decoded name-value pairs in body order, repeats included ({@code a[]=1&a[]=2} appends twice). */
    private final List<Map.Entry<String, String>> pairs;
    /** The last value of each name, at the position the name first appeared. */
    private final Map<String, String> fields;

    private BracketedForm(List<Map.Entry<String, String>> pairs) {
        this.pairs = pairs;
        Map<String, String> byName = new LinkedHashMap<>();
        pairs.forEach(pair -> byName.put(pair.getKey(), pair.getValue()));
        this.fields = Collections.unmodifiableMap(byName);
    }

    /**
     * Splits on {@code &} and percent-decodes names and values as UTF-8 ({@code +} is a space); empty pairs are
     * skipped and an empty or blank body is a form without fields.
     *
     * @throws MalformedFormException when a percent-escape is broken
     */
    public static BracketedForm parse(byte[] body) {
        List<Map.Entry<String, String>> pairs = new ArrayList<>();
        String raw = body == null ? "" : new String(body, StandardCharsets.UTF_8).strip();
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            pairs.add(Map.entry(name, eq < 0 ? "" : decode(pair.substring(eq + 1))));
        }
        return new BracketedForm(List.copyOf(pairs));
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new MalformedFormException("the body is not form-urlencoded: " + e.getMessage());
        }
    }

    /** The value of the field named exactly {@code name} (brackets included), or null when absent or empty. */
    public String get(String name) {
        String v = fields.get(name);
        return v == null || v.isEmpty() ? null : v;
    }

    public boolean isEmpty() {
        return pairs.isEmpty();
    }

    /**
     * The form re-encoded without the named fields, for journaling a body without its secrets; every other
     * field once, with its last value, in the order of {@link #get}'s view.
     */
    public byte[] without(Set<String> names) {
        StringBuilder out = new StringBuilder();
        fields.forEach((name, value) -> {
            if (names.contains(name)) {
                return;
            }
            if (!out.isEmpty()) {
                out.append('&');
            }
            out.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
        });
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The fields nested by their brackets: {@code String} leaves and {@code Map<String, Object>} branches, in the
     * order names first appear; {@code []} takes the next index of its group.
     *
     * @throws MalformedFormException when the form has no fields, a name has no part before its brackets, a
     *     bracket is unclosed or followed by anything but another, or a name is both a value and a group
     */
    public Map<String, Object> tree() {
        if (pairs.isEmpty()) {
            throw new MalformedFormException("the form has no fields");
        }
        Map<String, Object> root = new LinkedHashMap<>();
        for (Map.Entry<String, String> pair : pairs) {
            put(root, path(pair.getKey()), pair.getValue());
        }
        return Collections.unmodifiableMap(root);
    }

    /** {@code a[b][0]} into {@code [a, b, 0]}; an empty segment ({@code []}) stays empty and means "append". */
    static List<String> path(String name) {
        int open = name.indexOf('[');
        String head = open < 0 ? name : name.substring(0, open);
        if (head.isEmpty()) {
            throw new MalformedFormException("form field without a name: " + abbreviate(name));
        }
        List<String> segments = new ArrayList<>();
        segments.add(head);
        int i = open;
        while (i >= 0 && i < name.length()) {
            if (name.charAt(i) != '[') {
                throw new MalformedFormException("malformed form field name: " + abbreviate(name));
            }
            int close = name.indexOf(']', i);
            if (close < 0) {
                throw new MalformedFormException("unclosed bracket in form field name: " + abbreviate(name));
            }
            segments.add(name.substring(i + 1, close));
            i = close + 1;
        }
        return segments;
    }

    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> root, List<String> path, String value) {
        Map<String, Object> node = root;
        for (int i = 0; i < path.size(); i++) {
            String segment = path.get(i).isEmpty() ? String.valueOf(node.size()) : path.get(i);
            Object existing = node.get(segment);
            if (i == path.size() - 1) {
                if (existing instanceof Map) {
                    throw new MalformedFormException("form field is both a value and a group: " + String.join(".", path));
                }
                node.put(segment, value);
            } else if (existing == null) {
                Map<String, Object> child = new LinkedHashMap<>();
                node.put(segment, child);
                node = child;
            } else if (existing instanceof Map) {
                node = (Map<String, Object>) existing;
            } else {
                throw new MalformedFormException("form field is both a value and a group: " + String.join(".", path));
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
