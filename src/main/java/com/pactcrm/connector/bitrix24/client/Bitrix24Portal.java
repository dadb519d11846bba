package com.pactcrm.connector.bitrix24.client;

import com.pactcrm.connector.security.SecretMasker;
import java.util.Objects;

/**
 * One Bitrix24 portal as the API client sees it: its stable {@code member_id} (the rate-limit and tenant key,
 * bitrix24.md §2), its current domain (mutable: a renamed portal answers from a new one) and the access token
 * to call it with.
 */
public record Bitrix24Portal(String memberId, String host, String accessToken) {

    public Bitrix24Portal {
        Objects.requireNonNull(memberId, "memberId");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(accessToken, "accessToken");
    }

    @Override
    public String toString() {
        return "Bitrix24Portal[memberId=" + memberId + ", host=" + host + ", accessToken="
                + SecretMasker.maskValue(accessToken) + "]";
    }
}
