package com.pactcrm.connector.amocrm.install;

import com.pactcrm.connector.amocrm.AmoCrmConfiguration;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationDeactivated;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import io.micronaut.context.event.ApplicationEventPublisher;
import io.micronaut.http.HttpStatus;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * amoCRM's "integration disabled" hook: {@code GET ?account_id&client_uuid&signature} with
 * {@code signature = hex(HMAC-SHA256(client_secret, client_uuid + "|" + account_id))}
 * (amocrm.md §1.6; two independent sources agree, the vendor text is unconfirmed). A valid call
 * deactivates the installation and wipes its secrets (CRM and Pact tokens); its later webhooks are
 * refused.
 */
@Controller("/amocrm/disconnect")
@ExecuteOn(TaskExecutors.BLOCKING)
class AmoCrmDisconnectController {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmDisconnectController.class);

    private final AmoCrmConfiguration amocrm;
    private final InstallationRepository installations;
    private final ApplicationEventPublisher<InstallationDeactivated> deactivated;

    AmoCrmDisconnectController(AmoCrmConfiguration amocrm, InstallationRepository installations,
                               ApplicationEventPublisher<InstallationDeactivated> deactivated) {
        this.amocrm = amocrm;
        this.installations = installations;
        this.deactivated = deactivated;
    }

    @Get
    Map<String, String> disconnect(@QueryValue("account_id") String accountId,
                                   @QueryValue("client_uuid") String clientUuid,
                                   @QueryValue String signature) {
        if (!amocrm.configured()) {
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable", "the amoCRM integration is not configured");
        }
        if (!constantTimeEquals(clientUuid, amocrm.clientId())
                || !constantTimeEquals(signature.toLowerCase(), expectedSignature(clientUuid, accountId))) {
            LOG.warn("event=amocrm_disconnect_refused account={} reason=bad_signature", accountId);
            throw new ProblemException(HttpStatus.UNAUTHORIZED, "Unauthorized", "signature does not match");
        }
        installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, accountId).ifPresent(this::deactivate);
        return Map.of("status", "disconnected");
    }

    private void deactivate(Installation i) {
        installations.deactivateAndWipeSecrets(i.id());
        deactivated.publishEvent(new InstallationDeactivated(i.id()));
        LOG.info("event=amocrm_disconnected installationId={} account={}", i.id(), i.crmAccountId());
    }

    private String expectedSignature(String clientUuid, String accountId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(amocrm.clientSecret().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal((clientUuid + "|" + accountId).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return a != null && b != null
                && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
