package com.pactcrm.connector.bitrix24.oauth;

import com.pactcrm.connector.bitrix24.Bitrix24InstallationRepository;
import com.pactcrm.connector.bitrix24.client.Bitrix24ApiException;
import com.pactcrm.connector.bitrix24.client.Bitrix24Portal;
import com.pactcrm.connector.installation.CrmKind;
import com.pactcrm.connector.installation.Installation;
import com.pactcrm.connector.installation.InstallationHealthRepository;
import com.pactcrm.connector.installation.InstallationRepository;
import com.pactcrm.connector.installation.InstallationStatus;
import com.pactcrm.connector.security.SecretCipher;
import com.pactcrm.connector.sync.resilience.OutboundCallException;
import com.pactcrm.connector.sync.resilience.OutboundCallException.Disposition;
import io.micronaut.transaction.TransactionDefinition;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stored installer tokens of a portal (events carry a user's token, or none, so background work always
 * uses these; bitrix24.md §3.2). Bitrix24 asks apps to refresh only after 401 {@code expired_token}, never on
 * a schedule (§2, https://apidocs.bitrix24.com/settings/oauth/auto-renewal.html), and two callers refreshing
 * at once leave a broken pair (§8.2, https://github.com/bitrix-tools/crest/issues/13). So a refresh:
 * <ol>
 *   <li>runs in its own transaction under {@code SELECT ... FOR UPDATE} on the installation row, held across
 *       the OAuth call, so callers of every replica queue;</li>
 *   <li>skips the call if the stored access token is no longer the one the portal rejected (the caller
 *       before us refreshed);</li>
 *   <li>stores the rotated pair, encrypted, and the portal's current domain before the token is used;</li>
 *   <li>on {@code invalid_grant} marks the installation {@link InstallationStatus#REAUTH_REQUIRED}, on
 *       {@code PAYMENT_REQUIRED} records the billing health; both are thrown as health failures, not retried.</li>
 * </ol>
 * Its own transaction ({@code REQUIRES_NEW}) makes those states stick even when the caller's transaction
 * (an inbound event's) rolls back.
 */
@Singleton
public class Bitrix24TokenService {

    private static final Logger LOG = LoggerFactory.getLogger(Bitrix24TokenService.class);
    static final int IDLE_BATCH = 1000;
    private static final Duration ACCESS_TOKEN_LIFETIME = Duration.ofHours(1);

    private final InstallationRepository installations;
    private final Bitrix24InstallationRepository bitrix24Installations;
    private final InstallationHealthRepository health;
    private final SecretCipher cipher;
    private final Bitrix24OAuthClient oauth;
    private final TransactionOperations<Connection> tx;
    private final Clock clock;

    public Bitrix24TokenService(InstallationRepository installations, Bitrix24InstallationRepository bitrix24Installations,
                                InstallationHealthRepository health, SecretCipher cipher, Bitrix24OAuthClient oauth,
                                TransactionOperations<Connection> tx, Clock clock) {
        this.installations = installations;
        this.bitrix24Installations = bitrix24Installations;
        this.health = health;
        this.cipher = cipher;
        this.oauth = oauth;
        this.tx = tx;
        this.clock = clock;
    }

    /** The portal with its stored access token, as it is (no proactive refresh). */
    public Bitrix24Portal portal(long installationId) {
        Installation i = installations.findById(installationId)
                .orElseThrow(() -> new IllegalArgumentException("no installation " + installationId));
        requireUsable(i);
        return new Bitrix24Portal(i.crmAccountId(), i.crmHost(), cipher.decrypt(i.accessTokenEnc()));
    }

    /**
     * Runs {@code calls} against the portal with the stored token; after 401 {@code expired_token} the token is
     * refreshed (once, serialised) and the calls run again, as the official SDK does (bitrix24.md §2).
     */
    public <T> T withPortal(long installationId, Function<Bitrix24Portal, T> calls) {
        Bitrix24Portal portal = portal(installationId);
        try {
            return calls.apply(portal);
        } catch (Bitrix24ApiException e) {
            if (!e.isTokenExpired()) {
                throw e;
            }
            return calls.apply(refreshRejected(installationId, portal.accessToken()));
        }
    }

    /**
     * The portal answered 401 {@code expired_token} to {@code rejected}: a portal with a fresh token, refreshed
     * here unless another caller already did.
     *
     * @throws Bitrix24OAuthException {@code invalid_grant} (re-authorise), {@code PAYMENT_REQUIRED}, or transient
     */
    private Bitrix24Portal refreshRejected(long installationId, String rejected) {
        return refresh(installationId, stored -> stored.equals(rejected));
    }

    /**
     * Refreshes active portals whose pair is older than {@code olderThan}, so that an idle portal's refresh token
     * never reaches its end (180 days in the current docs, 28 in legacy ones; a weekly refresh satisfies both
     * without the scheduled-refresh pattern the docs warn against, bitrix24.md §8.3 q2). At most
     * {@value #IDLE_BATCH} portals per call; failures are recorded per portal.
     *
     * @return how many portals were refreshed
     */
    public int refreshIdle(Duration olderThan) {
        // A pair refreshed at T expires at T + 1 h (Bitrix24's access token lifetime).
        Instant expiresBefore = clock.instant().minus(olderThan).plus(ACCESS_TOKEN_LIFETIME);
        int refreshed = 0;
        for (long id : installations.findIdsWithTokenExpiringBefore(CrmKind.BITRIX24.name(), expiresBefore, IDLE_BATCH)) {
            try {
                String before = cipher.decrypt(installations.findById(id).orElseThrow().accessTokenEnc());
                if (!refresh(id, stored -> stored.equals(before)).accessToken().equals(before)) {
                    refreshed++;
                }
            } catch (OutboundCallException e) {
                LOG.warn("event=bitrix24_idle_refresh_failed installationId={} disposition={} error=\"{}\"", id,
                        e.disposition(), e.getMessage());
            }
        }
        return refreshed;
    }

    private Bitrix24Portal refresh(long installationId, Predicate<String> storedTokenStillNeedsRefresh) {
        Object outcome = tx.execute(TransactionDefinition.of(TransactionDefinition.Propagation.REQUIRES_NEW), status -> {
            Installation locked = installations.lockById(installationId)
                    .orElseThrow(() -> new IllegalArgumentException("no installation " + installationId));
            requireUsable(locked);
            String stored = cipher.decrypt(locked.accessTokenEnc());
            if (!storedTokenStillNeedsRefresh.test(stored)) {
                // Another caller refreshed while we waited for the lock.
                return new Bitrix24Portal(locked.crmAccountId(), locked.crmHost(), stored);
            }
            Bitrix24Tokens tokens;
            try {
                tokens = oauth.refresh(cipher.decrypt(locked.refreshTokenEnc()));
            } catch (Bitrix24OAuthException e) {
                recordRefused(locked, e);
                return e;
            }
            if (!tokens.memberId().equals(locked.crmAccountId())) {
                return new OutboundCallException("the OAuth server answered for portal " + tokens.memberId()
                        + ", not " + locked.crmAccountId(), Disposition.PERMANENT, 0, null, null, null, null);
            }
            installations.updateTokens(installationId, cipher.encrypt(tokens.accessToken()),
                    cipher.encrypt(tokens.refreshToken()), tokens.expiresAt());
            bitrix24Installations.updateHost(locked.crmAccountId(), tokens.portalHost());
            LOG.info("event=bitrix24_token_refreshed installationId={} expiresAt={}", installationId, tokens.expiresAt());
            return new Bitrix24Portal(locked.crmAccountId(), tokens.portalHost(), tokens.accessToken());
        });
        if (outcome instanceof OutboundCallException e) {
            throw e;
        }
        return (Bitrix24Portal) outcome;
    }

    private void recordRefused(Installation locked, Bitrix24OAuthException e) {
        if (e.reauthRequired()) {
            installations.updateStatusIfRefreshToken(locked.id(), InstallationStatus.REAUTH_REQUIRED.name(),
                    locked.refreshTokenEnc());
            health.record(locked.id(), Bitrix24OAuthException.HEALTH_COMPONENT_TOKEN, Bitrix24OAuthException.REAUTH_REQUIRED,
                    e.getMessage());
            LOG.warn("event=bitrix24_reauth_required installationId={} error=\"{}\"", locked.id(), e.error());
        } else if (e.paymentRequired()) {
            health.record(locked.id(), Bitrix24OAuthException.HEALTH_COMPONENT_BILLING, Bitrix24OAuthException.PAYMENT_REQUIRED,
                    "the Bitrix24 application's subscription or trial has expired");
            LOG.warn("event=bitrix24_payment_required installationId={}", locked.id());
        }
    }

    private static void requireUsable(Installation i) {
        if (i.crm() != CrmKind.BITRIX24) {
            throw new IllegalArgumentException("installation " + i.id() + " is not a Bitrix24 portal");
        }
        if (i.status() == InstallationStatus.REAUTH_REQUIRED) {
            throw Bitrix24OAuthException.of("installation " + i.id() + " must be authorised again", 0, "invalid_grant", null);
        }
        if (i.status() != InstallationStatus.ACTIVE || i.accessTokenEnc() == null || i.refreshTokenEnc() == null) {
            throw new OutboundCallException("installation " + i.id() + " is " + i.status(), Disposition.PERMANENT, 0,
                    null, null, null, null);
        }
    }
}
