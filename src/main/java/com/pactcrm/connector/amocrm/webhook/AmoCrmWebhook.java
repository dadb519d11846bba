package com.pactcrm.connector.amocrm.webhook;

import com.pactcrm.connector.crm.event.CrmEvent;
import io.micronaut.core.annotation.Nullable;
import java.util.List;

/**
 * One translated amoCRM account webhook: the account it claims to come from and its events, in body
 * order. Account webhooks are unsigned (amocrm.md §2.5): the receiver must check {@code accountId}
 * against the installation the URL key names before acting on any event.
 *
 * @param accountId {@code account[id]}; null only if the body had none (every captured body has it,
 *                  but that is third-party evidence, so the receiver decides what a missing id means)
 * @param subdomain {@code account[subdomain]}, when present
 */
public record AmoCrmWebhook(@Nullable String accountId, @Nullable String subdomain, List<CrmEvent> events) {

    public AmoCrmWebhook {
        events = List.copyOf(events);
    }

    /** True only when the body names this account; a body without {@code account[id]} never matches. */
    public boolean isFromAccount(String crmAccountId) {
        return accountId != null && accountId.equals(crmAccountId);
    }
}
