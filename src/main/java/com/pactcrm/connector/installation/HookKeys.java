package com.pactcrm.connector.installation;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Unguessable keys for webhook URLs. Pact does not sign its webhooks (pact-api.md §3.1), so the key
 * in the path is what authenticates them: 192 random bits, URL-safe.
 */
public final class HookKeys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private HookKeys() {
    }

    public static String newKey() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
