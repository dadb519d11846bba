package com.pactcrm.connector.security;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Masks secrets in free text: API token headers and parameters, OAuth tokens, bearer credentials. */
public final class SecretMasker {

    private static final Pattern SECRET = Pattern.compile(
            "(?i)(x-private-api-token[\"']?\\s*[:=]\\s*[\"']?"
                    + "|private_api_token[\"']?\\s*[:=]\\s*[\"']?"
                    + "|(?:access|refresh)_token[\"']?\\s*[:=]\\s*[\"']?"
                    + "|client_secret[\"']?\\s*[:=]\\s*[\"']?"
                    + "|application_token[\"'\\]]?\\s*[:=]\\s*[\"']?"
                    + "|auth_id[\"']?\\s*[:=]\\s*[\"']?"
                    + "|refresh_id[\"']?\\s*[:=]\\s*[\"']?"
                    + "|authorization[\"']?\\s*[:=]\\s*[\"']?(?:bearer\\s+)?"
                    + "|bearer\\s+)"
                    + "([^\\s\"'&,;}\\]]+)");

    private SecretMasker() {
    }

    public static String mask(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        Matcher m = SECRET.matcher(text);
        if (!m.find()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        do {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + maskValue(m.group(2))));
        } while (m.find());
        m.appendTail(out);
        return out.toString();
    }

    /** Keeps the last 4 characters of long values, so an operator can still tell two tokens apart. */
    public static String maskValue(String value) {
        if (value == null) {
            return null;
        }
        return value.length() <= 12 ? "****" : "****" + value.substring(value.length() - 4);
    }
}
