package com.pactcrm.connector.quickreply;

import io.micronaut.core.annotation.Nullable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The variables a quick reply may hold, filled on the server only, so the text a manager sees in the
 * dialog is the text Pact receives: {@code {{contact.name}}} (the card's client) and {@code {{user.name}}}
 * (the CRM user writing). An unknown value becomes empty rather than leaving braces in a client's message.
 */
public final class QuickReplyText {

    public static final String CONTACT_NAME = "contact.name";
    public static final String USER_NAME = "user.name";
    private static final Pattern VARIABLE = Pattern.compile("\\{\\{\\s*([a-z]+\\.[a-z]+)\\s*}}");

    private QuickReplyText() {
    }

    public static String fill(String body, @Nullable String contactName, @Nullable String userName) {
        Map<String, String> values = Map.of(CONTACT_NAME, contactName == null ? "" : contactName.strip(),
                USER_NAME, userName == null ? "" : userName.strip());
        Matcher m = VARIABLE.matcher(body);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = values.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The variable names a body uses that this class does not know; an admin must not save those. */
    public static List<String> unknownVariables(String body) {
        Matcher m = VARIABLE.matcher(body);
        List<String> unknown = new ArrayList<>();
        while (m.find()) {
            if (!m.group(1).equals(CONTACT_NAME) && !m.group(1).equals(USER_NAME)) {
                unknown.add(m.group(1));
            }
        }
        return unknown;
    }
}
