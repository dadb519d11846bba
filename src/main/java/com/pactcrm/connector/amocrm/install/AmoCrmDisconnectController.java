package com.pactcrm.connector.amocrm.install;

import com.pactcrm.connector.amocrm.AmoCrmConfiguration;
import com.pactcrm.connector.amocrm.oauth.AmoCrmTokenRevokedException;
import com.pactcrm.connector.amocrm.oauth.AmoCrmTokenService;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationDeactivated;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.ops.problem.ProblemException;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
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
 *
 * <p>The signature has no time or nonce in it: the same URL is valid forever, and a copy of an old one (a proxy log,
 * a browser history) would wipe the account after it installed the integration again. So amoCRM is asked first: the
 * stored refresh token is traded, and only when amoCRM refuses it (disabling an integration withdraws its grant;
 * inference, amocrm.md §1.4/§1.6) is the installation disconnected. If amoCRM still honours the grant the hook is a
 * replay (409, nothing changed); if amoCRM cannot be asked, nothing changes either (503).
 */
@Controller("/amocrm/disconnect")
@ExecuteOn(TaskExecutors.BLOCKING)
class AmoCrmDisconnectController {

    private static final Logger LOG = LoggerFactory.getLogger(AmoCrmDisconnectController.class);

    private final AmoCrmConfiguration amocrm;
    private final InstallationRepository installations;
    private final ApplicationEventPublisher<InstallationDeactivated> deactivated;
    private final AmoCrmTokenService tokens;
    private final SecretCipher cipher;

    AmoCrmDisconnectController(AmoCrmConfiguration amocrm, InstallationRepository installations,
                               ApplicationEventPublisher<InstallationDeactivated> deactivated, AmoCrmTokenService tokens,
                               SecretCipher cipher) {
        this.amocrm = amocrm;
        this.installations = installations;
        this.deactivated = deactivated;
        this.tokens = tokens;
        this.cipher = cipher;
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
        Installation installation = installations.findByCrmAndCrmAccountId(CrmKind.AMOCRM, accountId)
                .filter(Installation::active).orElse(null);
        if (installation != null) {
            if (grantStillHonoured(installation)) {
                LOG.warn("event=amocrm_disconnect_refused installationId={} account={} reason=grant_still_valid",
                        installation.id(), accountId);
                throw new ProblemException(HttpStatus.CONFLICT, "Conflict",
                        "the integration is still authorised in this account: nothing was disconnected");
            }
            deactivate(installation);
        }
        return Map.of("status", "disconnected");
    }

    /** @throws ProblemException 503 when amoCRM cannot say (unreachable, rate limited) */
    private boolean grantStillHonoured(Installation installation) {
        if (installation.accessTokenEnc() == null || installation.refreshTokenEnc() == null) {
            return false;
        }
        try {
            tokens.refreshRejected(installation.id(), cipher.decrypt(installation.accessTokenEnc()));
            return true;
        } catch (AmoCrmTokenRevokedException e) {
            return false;
        } catch (OutboundCallException e) {
            LOG.warn("event=amocrm_disconnect_unconfirmed installationId={} status={} error=\"{}\"", installation.id(),
                    e.status(), e.getMessage());
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable",
                    "amoCRM could not confirm the disconnect just now");
        }
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
