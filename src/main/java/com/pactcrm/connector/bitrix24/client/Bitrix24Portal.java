package com.pactcrm.connector.bitrix24.client;

import com.pactcrm.connector.security.SecretMasker;
import java.util.Locale;
import java.util.Objects;

/**
 * One Bitrix24 portal as the API client sees it: its stable {@code member_id} (the rate-limit and tenant key,
 * bitrix24.md §2), its current domain (mutable: a renamed portal answers from a new one) and the access token
 * to call it with. The member_id is kept lowercase and trimmed, as the database compares it, so that every in-memory
 * key derived from it (the leaky bucket, pauses) is one per portal whatever spelling a caller used.
 */
public record Bitrix24Portal(String memberId, String host, String accessToken) {

    public Bitrix24Portal {
        memberId = keyOf(Objects.requireNonNull(memberId, "memberId"));
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(accessToken, "accessToken");
    }

    /** The one spelling of a member_id every in-memory key uses. */
    public static String keyOf(String memberId) {
        return memberId.strip().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return "Bitrix24Portal[memberId=" + memberId + ", host=" + host + ", accessToken="
                + SecretMasker.maskValue(accessToken) + "]";
    }
}
