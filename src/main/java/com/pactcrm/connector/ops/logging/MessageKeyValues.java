package com.pactcrm.connector.ops.logging;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code key=value} pairs of a log message, as the service writes them ({@code event=relay_call_failed
 * status=503 detail="a quoted text"}): a value is a double-quoted string (with {@code \"} inside) or runs to the
 * next space. The first occurrence of a key wins.
 */
final class MessageKeyValues {

    private static final Pattern PAIR = Pattern.compile("(?:^|\\s)([A-Za-z_][A-Za-z0-9_.]*)=(\"((?:[^\"\\\\]|\\\\.)*)\"|\\S*)");
    private static final Pattern ESCAPE = Pattern.compile("\\\\(.)");

    private MessageKeyValues() {
    }

    static Map<String, String> parse(String message) {
        Map<String, String> pairs = new LinkedHashMap<>();
        if (message == null) {
            return pairs;
        }
        Matcher m = PAIR.matcher(message);
        while (m.find()) {
            String value = m.group(3) != null ? ESCAPE.matcher(m.group(3)).replaceAll("$1") : m.group(2);
            pairs.putIfAbsent(m.group(1), value);
        }
        return pairs;
    }
}
