package com.pactcrm.connector.pact;

import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.pact.client.PactCredentials;
import com.pactcrm.connector.pact.client.PactGateway;
import com.pactcrm.connector.pact.client.PactWebhook;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.outbox.CommandKind;
import com.pactcrm.connector.sync.outbox.Outbox;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects an installation to a Pact company: checks the token by listing the company's webhooks,
 * registers our webhook URL unless it is there already, activates it (new webhooks start inactive,
 * and Pact then posts its test handshake, which our receiver answers), and stores the token
 * encrypted. Connecting again with the same URL reuses the webhook, so Pact's limit of five per
 * company is not used up.
 */
@Singleton
public class PactConnection {

    private static final Logger LOG = LoggerFactory.getLogger(PactConnection.class);

    private final PactGateway pact;
    private final InstallationRepository installations;
    private final InstallationHealthRepository health;
    private final SecretCipher cipher;
    private final Outbox outbox;
    private final String publicUrl;

    public PactConnection(PactGateway pact, InstallationRepository installations, InstallationHealthRepository health,
                          SecretCipher cipher, Outbox outbox, @Value("${connector.public-url}") String publicUrl) {
        this.pact = pact;
        this.installations = installations;
        this.health = health;
        this.cipher = cipher;
        this.outbox = outbox;
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    }

    /** The URL Pact posts this installation's events to. */
    public String webhookUrl(Installation installation) {
        return publicUrl + "/pact/webhooks/" + installation.pactHookKey();
    }

    /**
     * @throws com.pactcrm.connector.pact.client.PactApiException when Pact refuses the token, the company or the webhook
     */
    public Installation connect(Installation installation, String apiToken, long companyId) {
        PactCredentials credentials = new PactCredentials(apiToken.strip(), companyId);
        String url = webhookUrl(installation);
        List<PactWebhook> existing = pact.listWebhooks(credentials);
        PactWebhook webhook = existing.stream().filter(w -> url.equals(w.url())).findFirst()
                .orElseGet(() -> pact.registerWebhook(credentials, url));
        if (!webhook.active()) {
            webhook = pact.activateWebhook(credentials, webhook.id());
        }
        Installation connected = installations.update(
                installation.withPact(companyId, cipher.encrypt(credentials.apiToken()), webhook.id()));
        health.record(installation.id(), "PACT_TOKEN", "OK", "connected to company " + companyId);
        health.record(installation.id(), "PACT_BILLING", "OK", null);
        outbox.liftHold(installation.id(), CommandKind.Target.PACT);
        LOG.info("event=pact_connected company={} webhook={} token={}", companyId, webhook.id(), credentials);
        return connected;
    }
}
