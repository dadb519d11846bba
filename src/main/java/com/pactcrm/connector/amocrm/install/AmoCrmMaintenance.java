package com.pactcrm.connector.amocrm.install;

import com.pactcrm.connector.amocrm.client.AmoCrmAccount;
import com.pactcrm.connector.amocrm.client.AmoCrmApiClient;
import com.pactcrm.connector.amocrm.client.dto.AmoCrmWebhook;
import com.pactcrm.connector.amocrm.oauth.AmoCrmTokenService;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import io.micronaut.context.annotation.Requires;
import io.micronaut.context.annotation.Value;
import io.micronaut.scheduling.annotation.Scheduled;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps amoCRM installations alive without anyone watching: refresh tokens of idle accounts before
 * their refresh token (valid about three months, single use — amocrm.md §1.4) expires, and find our
 * account webhook switched off by amoCRM (more than 100 bad answers in 2 h, §2.4) to switch it on
 * again and say so in the installation's health.
 */
@Singleton
@Requires(property = "connector.amocrm.maintenance.enabled", notEquals = "false")
public class AmoCrmMaintenance {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmMaintenance.class);

    private final AmoCrmTokenService tokens;
    private final AmoCrmApiClient api;
    private final InstallationRepository installations;
    private final InstallationHealthRepository health;
    private final String publicUrl;
    private final Duration idleAfter;

    public AmoCrmMaintenance(AmoCrmTokenService tokens, AmoCrmApiClient api, InstallationRepository installations,
                             InstallationHealthRepository health,
                             @Value("${connector.public-url}") String publicUrl,
                             @Value("${connector.amocrm.maintenance.idle-after:7d}") Duration idleAfter) {
        this.tokens = tokens;
        this.api = api;
        this.installations = installations;
        this.health = health;
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
        this.idleAfter = idleAfter;
    }

    @Scheduled(fixedDelay = "${connector.amocrm.maintenance.refresh-every:6h}", initialDelay = "1m")
    void refreshIdleTokens() {
        int refreshed = tokens.refreshIdle(idleAfter);
        if (refreshed > 0) {
            LOG.info("event=amocrm_idle_tokens_refreshed count={}", refreshed);
        }
    }

    @Scheduled(fixedDelay = "${connector.amocrm.maintenance.webhook-check-every:30m}", initialDelay = "2m")
    void checkWebhooks() {
        for (Installation installation : installations.findByCrmAndStatus(CrmKind.AMOCRM, InstallationStatus.ACTIVE)) {
            try {
                checkWebhook(installation);
            } catch (OutboundCallException e) {
                LOG.warn("event=amocrm_webhook_check_failed installationId={} error=\"{}\"", installation.id(), e.getMessage());
            }
        }
    }

    /** @return true when the webhook had to be switched on or subscribed again */
    public boolean checkWebhook(Installation installation) {
        String destination = publicUrl + "/amocrm/webhooks/" + installation.hookKey();
        AmoCrmAccount account = tokens.account(installation.id());
        List<AmoCrmWebhook> ours = api.listWebhooks(account, destination);
        if (!ours.isEmpty() && ours.stream().noneMatch(AmoCrmWebhook::disabled)) {
            return false;
        }
        // §2.4 says to re-enable through the API; subscribing the same destination again is how v4 sets a
        // hook's events. Whether that also clears "disabled" is unverified: if not, the next check says so again.
        api.subscribeWebhook(account, destination, AmoCrmInstallation.WEBHOOK_EVENTS);
        String what = ours.isEmpty() ? "was missing; subscribed again" : "was disabled by amoCRM; enabled again";
        health.record(installation.id(), "CRM_WEBHOOK", "RE_ENABLED", "amoCRM webhook " + what);
        LOG.warn("event=amocrm_webhook_reenabled installationId={} detail=\"{}\"", installation.id(), what);
        return true;
    }
}
