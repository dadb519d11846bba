package com.pactcrm.connector.amocrm.install;

import com.pactcrm.connector.amocrm.AmoCrmConfiguration;
import com.pactcrm.connector.amocrm.client.AmoCrmAccount;
import com.pactcrm.connector.amocrm.client.AmoCrmApiClient;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmAccountInfo;
import com.pactcrm.connector.amocrm.oauth.AmoCrmOAuthClient;
import com.pactcrm.connector.amocrm.oauth.AmoCrmTokens;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.HookKeys;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationSettings;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.security.SecretCipher;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs (or re-installs) the connector in an amoCRM account: exchange the one-time code, read the
 * account, store the installation keyed by account id with its tokens encrypted (a re-install
 * updates the same row and keeps its webhook keys), and subscribe our account webhook.
 */
@Singleton
class AmoCrmInstallation {

    /**
     * The events a use-case reads (amocrm.md §2.2): a responsible change sets the Pact assignee, a note becomes
     * the Pact card comment. Hooks registered before also carry add, update and delete, until registered again
     * (a re-install, or the maintenance check finding the hook missing or disabled); the translator ignores those.
     */
    static final List<String> WEBHOOK_EVENTS = List.of(
            "responsible_lead", "note_lead", "responsible_contact", "note_contact");

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmInstallation.class);

    private final AmoCrmOAuthClient oauth;
    private final AmoCrmApiClient api;
    private final InstallationRepository installations;
    private final InstallationHealthRepository health;
    private final SecretCipher cipher;
    private final AmoCrmConfiguration amocrm;
    private final String publicUrl;

    AmoCrmInstallation(AmoCrmOAuthClient oauth, AmoCrmApiClient api, InstallationRepository installations,
                       InstallationHealthRepository health, SecretCipher cipher, AmoCrmConfiguration amocrm,
                       @Value("${connector.public-url}") String publicUrl) {
        this.oauth = oauth;
        this.api = api;
        this.installations = installations;
        this.health = health;
        this.cipher = cipher;
        this.amocrm = amocrm;
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    }

    /** @param accountHost the {@code referer} amoCRM sent, already checked against the allowed suffixes */
    Installation install(String accountHost, String code) {
        AmoCrmTokens tokens = oauth.exchangeCode(accountHost, code);
        AmoCrmAccountInfo info = api.account(new AmoCrmAccount(amocrm.scheme() + "://" + accountHost, tokens.accessToken()));
        String accountId = Long.toString(info.id());
        Installation existing = installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, accountId).orElse(null);
        Installation saved = existing == null
                ? installations.save(new Installation(null, CrmKind.AMOCRM, accountId, accountHost, InstallationStatus.ACTIVE,
                        HookKeys.newKey(), HookKeys.newKey(), cipher.encrypt(tokens.accessToken()),
                        cipher.encrypt(tokens.refreshToken()), tokens.expiresAt(), null, null, null, null,
                        InstallationSettings.NEW_INSTALLATION, null, null, null))
                : installations.update(new Installation(existing.id(), CrmKind.AMOCRM, accountId, accountHost,
                        InstallationStatus.ACTIVE, existing.hookKey(), existing.pactHookKey(),
                        cipher.encrypt(tokens.accessToken()), cipher.encrypt(tokens.refreshToken()), tokens.expiresAt(),
                        existing.applicationTokenEnc(), existing.pactCompanyId(), existing.pactTokenEnc(),
                        existing.pactWebhookId(), existing.settings(), existing.version(), existing.createdAt(),
                        existing.updatedAt()));
        String destination = publicUrl + "/amocrm/webhooks/" + saved.hookKey();
        api.subscribeWebhook(new AmoCrmAccount(amocrm.scheme() + "://" + accountHost, tokens.accessToken()),
                destination, WEBHOOK_EVENTS);
        health.record(saved.id(), "CRM_TOKEN", "OK", "installed");
        health.record(saved.id(), "CRM_WEBHOOK", "OK", "subscribed");
        LOG.info("event=amocrm_installed installationId={} account={} host={} reinstall={}",
                saved.id(), accountId, accountHost, existing != null);
        return saved;
    }
}
